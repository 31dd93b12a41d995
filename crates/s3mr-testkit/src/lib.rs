//! What the workspace's integration tests share (dev-only, never published): private
//! `redis-server` and moto processes a test may stop and restart, a plain client straight to one
//! of the emulator's regions, and polling for a condition instead of sleeping. It may depend on
//! both the library and the emulator — which share no code with each other.

#![forbid(unsafe_code)]

use std::time::Duration;

use s3mr_emulator::Emulator;

/// A private redis-server on a free port, killed on drop.
pub struct PrivateRedis {
    child: std::process::Child,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
}

impl PrivateRedis {
    /// Starts it on `port` (again, after `stop`) and waits until it accepts connections.
    pub fn start_on(port: u16) -> Self {
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server is installed (scripts/test.sh installs it)");
        wait_for_port(port, "redis-server", Duration::from_secs(10));
        Self { child, port }
    }

    /// Starts it on a free port.
    pub fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Self::start_on(port)
    }

    /// `redis://127.0.0.1:PORT/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Kills it (a test of an outage); `start_on(port)` brings it back.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A moto server of this test's own (DynamoDB), on a free port; stopped on drop. Started per
/// test because tests stop and restart it.
pub struct PrivateMoto {
    child: Option<std::process::Child>,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
}

impl PrivateMoto {
    /// Starts it on `port` (again, after `stop`) and waits until it accepts connections.
    pub fn start_on(port: u16) -> Self {
        let child = std::process::Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("moto_server is installed (scripts/install-tools.sh installs it)");
        wait_for_port(port, "moto_server", Duration::from_secs(30));
        Self {
            child: Some(child),
            port,
        }
    }

    /// Starts it on a free port.
    pub fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Self::start_on(port)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Kills it (a test of an outage); `start_on(port)` brings it back.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateMoto {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Waits until something listens on 127.0.0.1:`port` (a server a test started).
pub fn wait_for_port(port: u16, what: &str, bound: Duration) {
    let deadline = std::time::Instant::now() + bound;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what} did not start on {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A plain aws-sdk-s3 client straight to `region`'s listener of `emu` (path-style, the
/// emulator's credentials, no routing): to plant and read objects behind the code under test.
pub fn emulator_client(emu: &Emulator, region: &str) -> aws_sdk_s3::Client {
    let (ak, sk) = emu.credentials();
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new(region.to_owned()))
        .endpoint_url(emu.endpoint(region))
        .force_path_style(true)
        .credentials_provider(aws_credential_types::Credentials::new(
            ak, sk, None, None, "emulator",
        ))
        .http_client(s3_multi_region::http_client().expect("an HTTP client"))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// `probe` again every 20 ms until `done` holds of its answer, at most `bound`: the last answer
/// (the caller asserts on it, so a timeout fails with what was last seen).
pub async fn poll<T, F: std::future::Future<Output = T>>(
    bound: Duration,
    mut probe: impl FnMut() -> F,
    done: impl Fn(&T) -> bool,
) -> T {
    let deadline = std::time::Instant::now() + bound;
    loop {
        let answer = probe().await;
        if done(&answer) || std::time::Instant::now() > deadline {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
