//! What code in a sandbox cannot do: read host files or another sandbox's, reach the host's
//! loopback without `internet_access`, write outside `/workspace` and `/tmp`, or exceed its
//! limits; and what the server does when bubblewrap cannot run.

mod common;

use std::{
    net::TcpListener,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use common::{
    KEY_A, KEY_B,
    agent::{Sandbox, agent_error, can_run_code, marker, processes_with, root_of},
    eventually, start, within,
};
use hopx_local::{SandboxOptions, ServerConfig};
use serde_json::json;

#[tokio::test]
async fn code_cannot_read_host_files() {
    let server = start().await;
    if !can_run_code(&server) {
        return;
    }
    let sb = Sandbox::new(server.local_addr()).await;
    let secret = marker("hostfile");
    let dir = tempfile::Builder::new()
        .prefix("hopx-isolation-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let in_target = dir.path().join("secret.txt");
    std::fs::write(&in_target, &secret).unwrap();
    let in_tmp = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(in_tmp.path(), &secret).unwrap();
    // World-readable, so only the mounts (not file modes) keep them out.
    for path in [in_target.as_path(), in_tmp.path(), dir.path()] {
        use std::os::unix::fs::PermissionsExt;
        let mode = if path.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let script = format!(
        r#"
import os
found = []
for p in [{a:?}, {b:?}, "/root", "/home", "/work", "/var", "/etc/shadow", "/proc/1/root" + {a:?}]:
    try:
        if os.path.isdir(p):
            found.append((p, os.listdir(p)))
        else:
            found.append((p, open(p).read()))
    except OSError as e:
        pass
print(found)
print(sorted(os.listdir("/")))
print(sorted(os.listdir("/etc")))
"#,
        a = in_target.display().to_string(),
        b = in_tmp.path().display().to_string(),
    );
    let out = sb.exec("python", &script).await;
    let stdout = out["stdout"].as_str().unwrap();
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some("[]"), "{out}");
    assert_eq!(
        lines.next(),
        Some("['bin', 'dev', 'etc', 'lib', 'lib64', 'proc', 'sbin', 'tmp', 'usr', 'workspace']"),
        "{out}"
    );
    let etc = lines.next().unwrap();
    for hidden in ["shadow", "sudoers", "machine-id", "ssh"] {
        assert!(!etc.contains(&format!("'{hidden}'")), "{hidden} in {etc}");
    }
    assert!(!stdout.contains(&secret));
    // Nor does a search of the trees that are not the host's /usr (devices skipped: a read
    // of /dev/pts/ptmx would block).
    let grep = sb
        .sh(&format!(
            "grep -rIl -D skip -e {secret} /etc /workspace /tmp /dev/shm 2>/dev/null; echo done"
        ))
        .await;
    assert_eq!(grep["stdout"], "done\n", "{grep}");
    server.shutdown().await;
}

#[tokio::test]
async fn code_cannot_see_another_sandbox() {
    let server = start().await;
    if !can_run_code(&server) {
        return;
    }
    let addr = server.local_addr();
    let a = Sandbox::new(addr).await;
    let b = Sandbox::create(addr, KEY_B, json!({"template_name": "code-interpreter"})).await;
    let mark = marker("neighbour");
    a.sh(&format!(
        "echo {mark} > /workspace/secret.txt && echo {mark} > /tmp/secret.txt"
    ))
    .await;
    let started = a
        .call(
            "POST",
            "/execute/background",
            Some(&json!({"language": "bash", "code": "sleep 120", "env": {"TEST_MARK": mark}})),
        )
        .await;
    assert_eq!(started.status, 200);
    eventually("A's process runs", Duration::from_secs(5), || async {
        !processes_with(&mark).is_empty()
    })
    .await;

    let a_root = root_of(&server, &a.id);
    let out = b
        .sh(&format!(
            "ls /workspace /tmp; cat {root}/workspace/secret.txt {root}/tmp/secret.txt; \
             grep -l {mark} /proc/*/environ; ps -e -o pid=,comm= | wc -l; echo end",
            root = a_root.display()
        ))
        .await;
    let stdout = out["stdout"].as_str().unwrap();
    assert!(!stdout.contains(&mark), "{out}");
    assert!(stdout.ends_with("end\n"), "{out}");
    // B sees only its own few processes (its own PID namespace).
    let count: usize = stdout.lines().rev().nth(1).unwrap().trim().parse().unwrap();
    assert!(count <= 6, "B sees {count} processes: {out}");
    server.shutdown().await;
}

/// A TCP server on the host's loopback that counts connections.
fn host_listener() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    listener.set_nonblocking(true).unwrap();
    // Bounded: it listens for a minute at most.
    std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            match listener.accept() {
                Ok(_) => {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    });
    (port, accepted)
}

#[tokio::test]
async fn without_internet_access_the_hosts_loopback_is_out_of_reach() {
    let server = start().await;
    if !can_run_code(&server) {
        return;
    }
    let addr = server.local_addr();
    let (port, accepted) = host_listener();
    let connect = format!(
        r#"
import socket
for port in ({port}, {server}):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        print("connected")
    except OSError as e:
        print("refused")
print(sorted(i[1] for i in socket.if_nameindex()))
"#,
        server = addr.port()
    );
    let offline = Sandbox::create(
        addr,
        KEY_A,
        json!({"template_name": "code-interpreter", "internet_access": false}),
    )
    .await;
    let out = offline.exec("python", &connect).await;
    assert_eq!(out["stdout"], "refused\nrefused\n['lo']\n", "{out}");
    assert_eq!(accepted.load(Ordering::SeqCst), 0);

    // The control: with internet_access the same code reaches the listener.
    let online = Sandbox::create(
        addr,
        KEY_A,
        json!({"template_name": "code-interpreter", "internet_access": true}),
    )
    .await;
    let out = online.exec("python", &connect).await;
    assert!(
        out["stdout"].as_str().unwrap().starts_with("connected\n"),
        "{out}"
    );
    eventually(
        "the listener saw the connection",
        Duration::from_secs(5),
        || async { accepted.load(Ordering::SeqCst) >= 1 },
    )
    .await;
    server.shutdown().await;
}

#[tokio::test]
async fn code_cannot_write_outside_workspace_and_tmp() {
    let server = start().await;
    if !can_run_code(&server) {
        return;
    }
    let sb = Sandbox::new(server.local_addr()).await;
    let name = marker("write");
    let out = sb
        .sh(&format!(
            "for d in / /usr /usr/local/bin /etc /bin /lib /dev /proc /var /root /workspace /tmp /dev/shm; do \
               if (echo x > $d/{name}) 2>/dev/null; then echo \"wrote $d\"; fi; \
             done; \
             mkdir /newdir 2>/dev/null && echo made; \
             ln /usr/bin/env /workspace/hardlink 2>/dev/null && echo linked; \
             unshare -U true 2>/dev/null && echo nested-userns; \
             id -u; echo end"
        ))
        .await;
    assert_eq!(
        out["stdout"], "wrote /workspace\nwrote /tmp\nwrote /dev/shm\n1000\nend\n",
        "{out}"
    );
    let root = root_of(&server, &sb.id);
    assert!(root.join("workspace").join(&name).is_file());
    assert!(root.join("tmp").join(&name).is_file());
    for host in ["/", "/usr", "/etc", "/tmp", "/root"] {
        assert!(
            !std::path::Path::new(host).join(&name).exists(),
            "{host}/{name} exists on the host"
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn memory_and_process_limits_hold() {
    let server = start().await;
    if !can_run_code(&server) {
        return;
    }
    let sb = Sandbox::new(server.local_addr()).await;
    // code-interpreter has 2048 MB: a 4 GiB allocation fails inside Python.
    let out = sb
        .exec(
            "python",
            "try:\n    b = bytearray(4 * 1024 ** 3)\n    print('allocated')\nexcept MemoryError:\n    print('MemoryError')",
        )
        .await;
    assert_eq!(out["stdout"], "MemoryError\n", "{out}");

    if server.sandbox_uid(&sb.id).is_some() {
        // A fork loop stops at the sandbox's process limit (512, threads and the bwrap
        // wrappers included), and the sandbox stays usable.
        let out = sb
            .exec_with(json!({
                "language": "python",
                "code": "import os, time\nn = 0\ntry:\n    for _ in range(2000):\n        if os.fork() == 0:\n            time.sleep(5)\n            os._exit(0)\n        n += 1\nexcept OSError as e:\n    print('stopped', n, e.errno)\n",
                "timeout": 30,
            }))
            .await;
        let stdout = out["stdout"].as_str().unwrap();
        let forked: usize = stdout
            .strip_prefix("stopped ")
            .and_then(|s| s.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no limit hit: {out}"));
        assert!((400..512).contains(&forked), "{out}");
        assert!(stdout.trim_end().ends_with(" 11"), "EAGAIN: {out}");
        assert_eq!(sb.exec("bash", "echo ok").await["stdout"], "ok\n");
    } else {
        eprintln!(
            "note: sandboxes share the server's uid here; the per-sandbox process cap is not checked"
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn without_bubblewrap_code_is_refused_with_the_fix() {
    for bwrap in ["/nonexistent/bwrap", "/bin/false"] {
        let mut config = ServerConfig::new(vec![KEY_A.to_owned()]);
        config.sandbox = SandboxOptions {
            bwrap: Some(bwrap.into()),
            ..SandboxOptions::default()
        };
        let server = within("bind", hopx_local::bind(config)).await.unwrap();
        assert!(
            server.isolation().starts_with("unavailable: "),
            "{}",
            server.isolation()
        );
        let sb = Sandbox::new(server.local_addr()).await;
        let response = sb
            .call("POST", "/execute", Some(&json!({"code": "print(1)"})))
            .await;
        let body = agent_error(&response, 500, "SANDBOX_UNAVAILABLE");
        let message = body["error"].as_str().unwrap();
        assert!(message.contains("apt-get install bubblewrap"), "{message}");
        assert!(message.contains("--unsafe-no-sandbox"), "{message}");
        let health = sb.get("/health").await.json();
        assert_eq!(health["features"]["code_execution"], false);
        // Files still work: they need no sandboxed process.
        let write = sb
            .call(
                "POST",
                "/files/write",
                Some(&json!({"path": "a.txt", "content": "a"})),
            )
            .await;
        assert_eq!(write.status, 200, "{}", write.text());
        server.shutdown().await;
    }
}

#[tokio::test]
async fn unsafe_no_sandbox_runs_code_unconfined_when_asked() {
    let mut config = ServerConfig::new(vec![KEY_A.to_owned()]);
    config.sandbox = SandboxOptions {
        unsafe_no_sandbox: true,
        bwrap: Some("/nonexistent/bwrap".into()),
        ..SandboxOptions::default()
    };
    let server = within("bind", hopx_local::bind(config)).await.unwrap();
    assert_eq!(server.isolation(), "none (--unsafe-no-sandbox)");
    let sb = Sandbox::new(server.local_addr()).await;
    let out = sb
        .exec(
            "python",
            "import os; print(1 + 1); print(os.getcwd() == os.environ['HOME'])",
        )
        .await;
    assert_eq!(out["stdout"], "2\nTrue\n", "{out}");
    let root = root_of(&server, &sb.id);
    let pwd = sb.sh("pwd").await;
    assert_eq!(
        pwd["stdout"].as_str().unwrap().trim(),
        root.join("workspace").display().to_string()
    );
    server.shutdown().await;
}
