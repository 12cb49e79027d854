//! The demo approval matrix: up to 10,000.00 one APPROVER level; above that an APPROVER and
//! then an ADMIN. Seeded once (an existing matrix is left alone).

use ap_approval::app::Caller;
use ap_kit::audit::RequestContext;
use ap_kit::token::Principal;
use ap_proto::approval::v1 as pb;
use ap_types::{Role, SessionId, UserId};
use uuid::Uuid;

fn level(role: Role) -> pb::MatrixLevel {
    pb::MatrixLevel {
        level: 0,
        role: role.as_str().to_owned(),
        user_id: String::new(),
        approvers_required: 1,
    }
}

pub async fn seed(config: &ap_kit::Config, admin: Uuid) -> anyhow::Result<()> {
    let pool = ap_kit::db::connect_pool(config.database_url(), ap_approval::SCHEMA, 2)?;
    let app = ap_approval::build_app(config, pool)?;
    let caller = Caller {
        principal: Principal {
            user_id: UserId::from_uuid(admin),
            role: Role::Admin,
            email: "admin@example.com".into(),
            session_id: SessionId::new(),
            token_id: "seed".into(),
        },
        ctx: RequestContext {
            request_id: Some("seed-demo".into()),
            ..Default::default()
        },
    };
    let err = |e: ap_approval::app::AppError| anyhow::anyhow!("{e:?}");
    if !app.list_matrix(&caller).await.map_err(err)?.is_empty() {
        println!("exists  demo approval matrix");
        return Ok(());
    }
    let rules = [
        ("Up to 10,000", "", "10000.00", vec![level(Role::Approver)]),
        (
            "Over 10,000",
            "10000.00",
            "",
            vec![level(Role::Approver), level(Role::Admin)],
        ),
    ];
    for (name, over, up_to, levels) in rules {
        let input = pb::MatrixRuleInput {
            name: name.to_owned(),
            amount_over: over.to_owned(),
            amount_up_to: up_to.to_owned(),
            levels,
            ..Default::default()
        };
        app.save_matrix_rule(&caller, None, &input)
            .await
            .map_err(err)?;
        println!("created approval matrix row \"{name}\"");
    }
    Ok(())
}
