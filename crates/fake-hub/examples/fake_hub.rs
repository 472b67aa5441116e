//! The tests' fake Hub, serving the demo catalog on 127.0.0.1 until Ctrl-C, so a person can
//! try every view of the app without the internet:
//!
//! ```sh
//! cargo run -p modelshelf-fake-hub --example fake_hub   # prints HF_ENDPOINT=http://127.0.0.1:PORT
//! HF_ENDPOINT=http://127.0.0.1:PORT HF_HOME=/tmp/try-modelshelf scripts/run
//! ```
//!
//! `--throttle BYTES_PER_SECOND` (default 100000) keeps downloads slow enough to watch the bar
//! and press Cancel; `--throttle 0` serves at full speed. A token `hf_demo_token_for_gated_models`
//! unlocks the gated model.

use fake_hub::{FakeHub, Faults, demo_catalog};

/// The token the demo's gated model accepts.
const DEMO_TOKEN: &str = "hf_demo_token_for_gated_models";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let throttle = match args.as_slice() {
        [] => 100_000,
        [flag, value] if flag == "--throttle" => match value.parse::<u64>() {
            Ok(n) => n,
            Err(_) => usage(&format!("--throttle wants a number, not {value:?}")),
        },
        _ => usage("unknown arguments"),
    };
    let hub = FakeHub::start(demo_catalog());
    hub.grant_token(DEMO_TOKEN);
    hub.set_faults(Faults {
        throttle: (throttle > 0).then_some(throttle),
        ..Faults::default()
    });
    println!("HF_ENDPOINT={}", hub.endpoint());
    println!("serving the demo catalog; token for the gated model: {DEMO_TOKEN}; Ctrl-C stops");
    // Serves on its own threads until the process is stopped.
    loop {
        std::thread::park();
    }
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "fake_hub: {problem}\nusage: cargo run --example fake_hub [--throttle BYTES_PER_SECOND]"
    );
    std::process::exit(2);
}
