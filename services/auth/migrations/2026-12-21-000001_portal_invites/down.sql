DROP TABLE portal_invites;
