//! How long candle's barrier-pool threads spin for the next element-wise op before sleeping.
//! Candle 0.11 spins 25,000 rounds after every op; between ops Ocellus's kernels run on
//! rayon's threads, so on a 2-core machine the spinning thread took a core from them (LeNet's
//! step at 2 threads: medians of 10.1-14.5 ms with candle's default, 9.1-9.4 ms at 1,000;
//! ResNet-18 and the captcha model level or a little faster).

/// candle's variable for the spin limit.
const VARIABLE: &str = "CANDLE_BARRIER_POOL_SPIN_LIMIT";

/// The spin limit Ocellus sets when the user has not set one.
const SPINS: &str = "1000";

/// Sets the spin limit unless the environment already has one; call before any tensor op.
pub fn limit_barrier_spin() {
    if std::env::var_os(VARIABLE).is_none() {
        // Called at start-up, before any other thread exists.
        std::env::set_var(VARIABLE, SPINS);
    }
}
