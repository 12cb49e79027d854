//! `ap_kit::idempotency::run` against a real table: a repeated key replays without running
//! the work again, another request under the key is refused, a failure releases the key, and
//! keys of different callers are independent.

use std::sync::atomic::{AtomicU32, Ordering};

use ap_kit::idempotency::{self, IdempotencyError, Keyed};
use uuid::Uuid;

use crate::{pool, test_db};

/// Any prost message will do as a response: `String` is `google.protobuf.StringValue`.
type Resp = String;

#[derive(Debug)]
enum Error {
    Idem(IdempotencyError),
    Refused,
}

impl From<IdempotencyError> for Error {
    fn from(e: IdempotencyError) -> Self {
        Error::Idem(e)
    }
}

fn keyed<'a>(key: &'a str, scope: Uuid, hash: &'a str) -> Option<Keyed<'a>> {
    Some(Keyed {
        key,
        scope,
        operation: "Create",
        request_hash: hash,
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repeated_key_replays_without_running_the_work_again() {
    let db = test_db().await;
    let pool = pool(&db);
    let runs = AtomicU32::new(0);
    let user = Uuid::now_v7();
    let work = || async {
        let n = runs.fetch_add(1, Ordering::SeqCst) + 1;
        Ok::<_, Error>(format!("created {n}"))
    };
    let first: Resp = idempotency::run(&pool, keyed("k", user, "h1"), work)
        .await
        .expect("first");
    let again: Resp = idempotency::run(&pool, keyed("k", user, "h1"), work)
        .await
        .expect("replay");
    assert_eq!(again, first);
    assert_eq!(runs.load(Ordering::SeqCst), 1);

    let other = idempotency::run::<Resp, _, _>(&pool, keyed("k", user, "h2"), work).await;
    assert!(matches!(
        other,
        Err(Error::Idem(IdempotencyError::DifferentRequest))
    ));
    // Another caller's key of the same name is its own; no key always runs.
    let theirs: Resp = idempotency::run(&pool, keyed("k", Uuid::now_v7(), "h2"), work)
        .await
        .expect("other caller");
    assert_eq!(theirs, "created 2");
    let _: Resp = idempotency::run(&pool, None, work).await.expect("no key");
    assert_eq!(runs.load(Ordering::SeqCst), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_request_releases_its_key_and_an_unfinished_one_is_in_progress() {
    let db = test_db().await;
    let pool = pool(&db);
    let user = Uuid::now_v7();
    let refused = idempotency::run::<Resp, _, _>(&pool, keyed("k", user, "h"), || async {
        Err(Error::Refused)
    })
    .await;
    assert!(matches!(refused, Err(Error::Refused)));
    // The corrected retry (another request) goes ahead under the same key.
    let ok: Resp = idempotency::run(&pool, keyed("k", user, "h-fixed"), || async {
        Ok::<_, Error>("ok".to_owned())
    })
    .await
    .expect("retry");
    assert_eq!(ok, "ok");

    // While a first request runs, a second with the same key is told so.
    let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
    let (finish_tx, finish_rx) = tokio::sync::oneshot::channel::<()>();
    let slow_pool = pool.clone();
    let slow = tokio::spawn(async move {
        idempotency::run::<Resp, Error, _>(&slow_pool, keyed("slow", user, "h"), || async {
            let _ = started_tx.send(());
            let _ = finish_rx.await;
            Ok("slow".to_owned())
        })
        .await
        .map_err(|e| format!("{e:?}"))
    });
    started_rx.await.expect("started");
    let second = idempotency::run::<Resp, _, _>(&pool, keyed("slow", user, "h"), || async {
        Ok::<_, Error>("twice".to_owned())
    })
    .await;
    assert!(matches!(
        second,
        Err(Error::Idem(IdempotencyError::InProgress))
    ));
    let _ = finish_tx.send(());
    assert_eq!(slow.await.expect("join"), Ok("slow".to_owned()));
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_past_retention_are_forgotten() {
    let db = test_db().await;
    let pool = pool(&db);
    let user = Uuid::now_v7();
    let _: Resp = idempotency::run(&pool, keyed("old", user, "h1"), || async {
        Ok::<_, Error>("first".to_owned())
    })
    .await
    .expect("first");
    db.client()
        .await
        .execute(
            &format!(
                "UPDATE {}.idempotency_keys SET created_at = now() - interval '25 hours'",
                crate::SCHEMA
            ),
            &[],
        )
        .await
        .expect("age the key");
    // Past retention the key is new: another request under it runs.
    let later: Resp = idempotency::run(&pool, keyed("old", user, "h2"), || async {
        Ok::<_, Error>("later".to_owned())
    })
    .await
    .expect("a new request");
    assert_eq!(later, "later");
}
