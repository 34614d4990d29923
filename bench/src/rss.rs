//! The server's resident memory, read from `/proc/<pid>/status` (Linux).
use std::time::Duration;

use tokio::{sync::watch, task::JoinHandle};

/// Resident set size in KiB now.
pub fn current_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Samples the RSS every 10 ms until told to stop; answers the peak in KiB.
pub struct PeakSampler {
    stop: watch::Sender<bool>,
    task: JoinHandle<u64>,
}

impl PeakSampler {
    pub fn start(pid: Option<u32>) -> Self {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let Some(pid) = pid else { return 0 };
            let mut peak = 0;
            loop {
                peak = peak.max(current_kib(pid).unwrap_or(0));
                tokio::select! {
                    _ = stopped.changed() => return peak,
                    () = tokio::time::sleep(Duration::from_millis(10)) => {}
                }
            }
        });
        Self { stop, task }
    }

    pub async fn finish(self) -> u64 {
        let _ = self.stop.send(true);
        self.task.await.unwrap_or(0)
    }
}
