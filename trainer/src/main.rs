//! `ocellus`: the command line of the native trainer.

use clap::Parser;

fn main() {
    ocellus_trainer::allocator::keep_freed_memory();
    ocellus_trainer::barrier_spin::limit_barrier_spin();
    let cli = ocellus_trainer::cli::Cli::parse();
    if let Err(err) = ocellus_trainer::commands::run(cli) {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}
