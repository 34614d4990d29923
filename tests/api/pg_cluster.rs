//! A PostgreSQL cluster of the test's own, on a free port, that the test may stop and
//! start — never the machine's shared server.
use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use tempfile::TempDir;

pub struct PrivateCluster {
    dir: TempDir,
    port: u16,
    bin: PathBuf,
}

impl PrivateCluster {
    /// `initdb` and start a cluster; `None` when PostgreSQL's server programs are absent.
    pub fn start() -> Option<Self> {
        let bin = server_bin_dir()?;
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let cluster = Self { dir, port, bin };
        // PostgreSQL refuses to run as root; the data directory then belongs to `postgres`.
        if is_root() {
            run(Command::new("chown")
                .arg("postgres:postgres")
                .arg(cluster.dir.path()));
        }
        run(cluster
            .as_owner("initdb")
            .args(["-D", &cluster.data(), "-U", "postgres", "-A", "trust"])
            .args(["--no-sync", "--no-instructions", "-E", "UTF8"]));
        cluster.resume();
        Some(cluster)
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server the fast way: sessions are cut off, as in a failover.
    pub fn stop(&self) {
        run(self
            .as_owner("pg_ctl")
            .args(["-D", &self.data(), "-m", "fast", "-w", "stop"]));
    }

    /// Starts (again) on the same port and data.
    pub fn resume(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
            self.port,
            self.data()
        );
        let log = self.dir.path().join("postgres.log");
        run(self.as_owner("pg_ctl").args([
            "-D",
            &self.data(),
            "-o",
            &options,
            "-l",
            &log.to_string_lossy(),
            "-w",
            "start",
        ]));
    }

    fn data(&self) -> String {
        self.dir.path().join("data").to_string_lossy().into_owned()
    }

    fn as_owner(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = self
            .as_owner("pg_ctl")
            .args(["-D", &self.data(), "-m", "immediate", "-w", "stop"])
            .output();
    }
}

fn run(command: &mut Command) -> Output {
    let output = command.output().expect("PostgreSQL program runs");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

/// Where `initdb` and `pg_ctl` live: Debian keeps them out of `PATH`.
fn server_bin_dir() -> Option<PathBuf> {
    let in_path = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).find(|dir| dir.join("pg_ctl").is_file()));
    in_path.or_else(|| {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
            .filter(|bin| Path::new(bin).join("pg_ctl").is_file())
            .collect();
        versions.sort();
        versions.pop()
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}
