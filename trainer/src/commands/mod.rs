//! The commands behind the command line, one module each.

mod bench;
mod half;
mod bench_step;
mod choose_threshold;
mod each_image;
mod eval_captcha;
mod eval_classify;
mod eval_faces;
mod generate_captcha;
mod model_file;
mod prepare_classify;
mod prepare_faces;
mod proposals;
mod test_captcha;
mod test_classify;
mod test_faces;
mod train_captcha;
mod train_classify;
mod train_faces;
mod train_single_shot;
mod train_run;

use anyhow::Result;

use crate::cli::{CaptchaCommand, Cli, Command, DetectorName, EvalTask, PrepareTask, TestTask, TrainTask};

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    if let Some(n) = cli.threads {
        // candle and rayon read this when their thread pools start, which is later.
        std::env::set_var("RAYON_NUM_THREADS", n.max(1).to_string());
    }
    match cli.command {
        Command::Prepare(PrepareTask::Classify(args)) => prepare_classify::run(args).map(|_| ()),
        Command::Prepare(PrepareTask::Faces(args)) => prepare_faces::run(args),
        Command::Train(TrainTask::Classify(args)) => train_classify::run(args),
        Command::Train(TrainTask::Captcha(args)) => train_captcha::run(args),
        Command::Train(TrainTask::Faces(args)) if args.arch == DetectorName::SingleShot => train_single_shot::run(args),
        Command::Train(TrainTask::Faces(args)) => train_faces::run(args),
        Command::Eval(EvalTask::Classify(args)) => eval_classify::run(args),
        Command::Eval(EvalTask::Captcha(args)) => eval_captcha::run(args),
        Command::Eval(EvalTask::Faces(args)) => eval_faces::run(args),
        Command::Test(TestTask::Classify(args)) => test_classify::run(args),
        Command::Test(TestTask::Captcha(args)) => test_captcha::run(args),
        Command::Test(TestTask::Faces(args)) => test_faces::run(args),
        Command::Captcha(CaptchaCommand::Generate(args)) => generate_captcha::run(args),
        Command::Proposals(args) => proposals::run(args),
        Command::Half(args) => half::run(args),
        Command::ChooseThreshold(args) => choose_threshold::run(args),
        Command::Bench(args) => bench::run(args),
        Command::BenchStep(args) => bench_step::run(args),
    }
}
