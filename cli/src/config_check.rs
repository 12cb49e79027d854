//! `apctl config check [--service NAME]`: validates the environment against one process's
//! configuration contract (or every process's) and prints each missing, malformed or weak
//! variable, as that process would refuse to start.

use std::process::ExitCode;

use ap_kit::config::Process;

pub fn run(service: Option<Process>) -> ExitCode {
    let vars: std::collections::HashMap<String, String> = std::env::vars().collect();
    let lookup = |k: &str| vars.get(k).cloned();
    let production = lookup("APP_ENV")
        .and_then(|v| v.parse::<ap_kit::AppEnv>().ok())
        .is_some_and(ap_kit::AppEnv::is_production);
    if !production {
        println!(
            "note: APP_ENV is not production: secrets are not required, only formats are checked"
        );
    }
    let processes: Vec<Process> = service.map_or_else(|| Process::ALL.to_vec(), |p| vec![p]);
    let mut failed = false;
    for process in processes {
        match ap_kit::Config::from_lookup_for(process, lookup) {
            Ok(_) => println!(
                "{process}: ok ({} variables in its contract)",
                process.vars().len()
            ),
            Err(errors) => {
                failed = true;
                for e in &errors.0 {
                    println!("{process}: {e}");
                }
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Every variable `process` reads: its [`ap_kit::Config`] contract and the libraries' own.
pub fn list(process: Process) {
    for var in process.vars() {
        println!("{var}");
    }
    for (var, processes) in ap_kit::config::LIBRARY_VARS {
        if processes.contains(&process) {
            println!("{var}");
        }
    }
}
