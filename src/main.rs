//! The `phi-guard` binary: parses the command line and runs it (see `cli`).

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = phi_guard::cli::Cli::parse();
    let code = phi_guard::cli::run(cli);
    std::process::ExitCode::from(code.clamp(0, 255) as u8)
}
