//! `apctl`: run services (one, or all in one process over loopback gRPC), migrate, seed demo
//! data, manage users and keys, verify audit chains.

mod audit;
mod config_check;
mod demo;
mod demo_approvals;
mod demo_payments;
mod eval;
mod health;
mod keys;
mod seed;
mod serve;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "apctl",
    version,
    about = "Accounts-payable automation: operations tool"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Target {
    Auth,
    Invoice,
    Payment,
    Approval,
    /// The Ask-AI service (question → guarded read-only SQL over the reporting views).
    Askai,
    Gateway,
    /// Every service plus the gateway in one process, still speaking gRPC on loopback.
    All,
}

#[derive(Subcommand)]
enum Command {
    /// Run a service, the gateway, or everything.
    Serve {
        #[arg(value_enum)]
        target: Target,
    },
    /// Apply every service's pending migrations.
    Migrate,
    /// Load data. `--demo` loads the demo accounts (refused in production).
    Seed {
        #[arg(long)]
        demo: bool,
    },
    /// User administration.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Signing keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Audit trail tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Probe a gRPC server's health (container health checks): exit 0 only when SERVING.
    Health {
        /// host:port of the gRPC server.
        #[arg(long, default_value = "127.0.0.1:50051")]
        grpc: String,
        /// gRPC service name (e.g. ap.auth.v1.AuthService, which includes its database);
        /// empty = the server as a whole.
        #[arg(long, default_value = "")]
        service: String,
    },
    /// Configuration tools.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Extraction tools.
    Extract {
        #[command(subcommand)]
        command: ExtractCommand,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Validate the environment as a process would at start; print every missing, malformed
    /// or weak variable and exit non-zero. Without `--service`, every process is checked.
    Check {
        /// auth, invoice, payment, approval, askai, gateway or migrate.
        #[arg(long)]
        service: Option<ap_kit::config::Process>,
    },
    /// List the variables a process reads (its contract), one per line.
    Vars {
        #[arg(long)]
        service: ap_kit::config::Process,
    },
}

#[derive(Subcommand)]
enum ExtractCommand {
    /// Score the PDF text path against embedded e-invoices (or, with `--xml`, check XML parsing).
    Eval(eval::EvalArgs),
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user. The password is read from `APCTL_PASSWORD` or standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "ADMIN")]
        role: String,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Generate an Ed25519 key pair for access tokens (PEM files).
    Generate {
        /// Directory to write `jwt_private.pem` and `jwt_public.pem` into.
        #[arg(long, default_value = ".data/keys")]
        out: std::path::PathBuf,
        /// Replace existing files.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk every service's hash chain; exit 1 at the first broken row.
    Verify,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("apctl: cannot start runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("apctl: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn load_config() -> anyhow::Result<ap_kit::Config> {
    Ok(ap_kit::Config::from_env()?)
}

/// The environment, validated against one process's contract only.
fn load_config_for(process: ap_kit::config::Process) -> anyhow::Result<ap_kit::Config> {
    Ok(ap_kit::Config::from_env_for(process)?)
}

impl Target {
    /// The process whose configuration contract applies; `None` for everything in one process.
    fn process(self) -> Option<ap_kit::config::Process> {
        use ap_kit::config::Process;
        match self {
            Target::Auth => Some(Process::Auth),
            Target::Invoice => Some(Process::Invoice),
            Target::Payment => Some(Process::Payment),
            Target::Approval => Some(Process::Approval),
            Target::Askai => Some(Process::Askai),
            Target::Gateway => Some(Process::Gateway),
            Target::All => None,
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    use std::process::ExitCode;
    match cli.command {
        Command::Keys {
            command: KeysCommand::Generate { out, force },
        } => {
            keys::generate(&out, force)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { target } => {
            let config = match target.process() {
                Some(process) => load_config_for(process)?,
                None => load_config()?,
            };
            serve::run(target, config).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let config = load_config_for(ap_kit::config::Process::Migrate)?;
            serve::migrate_all(config.database_url()).await?;
            println!("migrations applied");
            Ok(ExitCode::SUCCESS)
        }
        Command::Seed { demo } => {
            let config = load_config()?;
            anyhow::ensure!(demo, "nothing to seed: pass --demo");
            anyhow::ensure!(
                !config.app_env.is_production(),
                "refusing to seed demo data with APP_ENV=production"
            );
            let config = serve::with_dev_keys(config)?;
            serve::migrate_all(config.database_url()).await?;
            seed::demo(&config).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::User {
            command: UserCommand::Create { email, name, role },
        } => {
            // The auth service's contract: users are created through its use-case layer.
            let config = serve::with_dev_keys(load_config_for(ap_kit::config::Process::Auth)?)?;
            seed::create_user(&config, email, name, role).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let config = load_config_for(ap_kit::config::Process::Migrate)?;
            audit::verify(config.database_url()).await
        }
        Command::Health { grpc, service } => health::probe(&grpc, &service).await,
        Command::Config {
            command: ConfigCommand::Check { service },
        } => Ok(config_check::run(service)),
        Command::Config {
            command: ConfigCommand::Vars { service },
        } => {
            config_check::list(service);
            Ok(ExitCode::SUCCESS)
        }
        Command::Extract {
            command: ExtractCommand::Eval(args),
        } => Ok(eval::run(&args)),
    }
}
