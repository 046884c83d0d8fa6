//! The agent of each sandbox (`<public_host>/...`): code execution, background processes,
//! commands, files, environment, auth, and what happens to a sandbox's processes and files
//! on pause, stop and kill. Raw HTTP against a real server on a free loopback port.

mod common;

use std::time::Duration;

use base64::{Engine, engine::general_purpose::STANDARD};
use common::{
    KEY_A, KEY_B,
    agent::{
        Sandbox, agent_error, can_run_code, marker, multipart, no_process_left, processes_with, q,
        root_of, start_with_ttl,
    },
    delete, eventually, post_empty, request, start,
};
use serde_json::{Value, json};

#[tokio::test]
async fn runs_python_node_and_bash_with_output_and_exit_codes() {
    let server = start().await;
    if !can_run_code(&server) {
        return;
    }
    let sb = Sandbox::new(server.local_addr()).await;

    let py = sb
        .exec(
            "python",
            "import sys\nprint(1 + 1)\nprint('warn', file=sys.stderr)",
        )
        .await;
    assert_eq!(py["stdout"], "2\n");
    assert_eq!(py["stderr"], "warn\n");
    assert_eq!(py["exit_code"], 0);
    assert_eq!(py["success"], true);
    assert_eq!(py["language"], "python");
    assert!(
        py["execution_time"]
            .as_f64()
            .is_some_and(|t| t > 0.0 && t < 10.0)
    );
    assert!(py["timestamp"].is_string());

    let js = sb
        .exec(
            "javascript",
            "console.log([1, 2].map(x => x * 3).join(','))",
        )
        .await;
    assert_eq!(js["stdout"], "3,6\n");
    assert_eq!(js["language"], "javascript");
    for alias in ["js", "node", "nodejs"] {
        assert_eq!(sb.exec(alias, "console.log('ok')").await["stdout"], "ok\n");
    }

    let sh = sb.exec("bash", "echo out; echo err >&2; exit 3").await;
    assert_eq!(sh["stdout"], "out\n");
    assert_eq!(sh["stderr"], "err\n");
    assert_eq!(sh["exit_code"], 3);
    assert_eq!(sh["success"], false);
    // Commands that read stdin get end-of-file, not the rest of the script.
    let cat = sb.exec("sh", "cat; echo after").await;
    assert_eq!(cat["stdout"], "after\n");

    // An exception is a normal answer with success=false.
    let boom = sb.exec("python3", "raise ValueError('boom')").await;
    assert_eq!(boom["success"], false);
    assert_ne!(boom["exit_code"], 0);
    assert!(
        boom["stderr"]
            .as_str()
            .unwrap()
            .contains("ValueError: boom")
    );

    // Code larger than one command-line argument may be (128 KiB) still runs.
    let big = format!("x = '{}'\nprint(len(x))", "a".repeat(300_000));
    assert_eq!(sb.exec("python", &big).await["stdout"], "300000\n");

    // Python finds modules in the working directory, as with `python -c`.
    sb.exec("bash", "echo 'VALUE = 42' > helper.py").await;
    assert_eq!(
        sb.exec("python", "import helper; print(helper.VALUE)")
            .await["stdout"],
        "42\n"
    );

    let unknown = sb
        .call(
            "POST",
            "/execute",
            Some(&json!({"language": "cobol", "code": "x"})),
        )
        .await;
    let body = agent_error(&unknown, 400, "INVALID_REQUEST");
    assert_eq!(body["details"]["field"], "language");
    assert!(
        body["details"]["available"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
    server.shutdown().await;
}

#[tokio::test]
async fn the_languages_of_health_match_the_catalog() {
    let server = start().await;
    let addr = server.local_addr();
    let sb = Sandbox::new(addr).await;
    let health = request(addr, "GET", &format!("{}/health", sb.base), &[], None).await;
    assert_eq!(health.status, 200, "{}", health.text());
    let health = health.json();
    let languages: Vec<String> = health["features"]["languages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_owned())
        .collect();
    let templates = common::get(addr, "/v1/templates/code-interpreter", KEY_A)
        .await
        .json();
    let features: Vec<String> = templates["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_owned())
        .collect();
    let mut a = languages.clone();
    let mut b = features.clone();
    a.sort();
    b.sort();
    assert_eq!(
        a, b,
        "health {languages:?} vs template features {features:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn env_from_create_per_call_env_and_workdir() {
    let server = start().await;
    if !can_run_code(&server) {
        return;
    }
    let sb = Sandbox::create(
        server.local_addr(),
        KEY_A,
        json!({"template_name": "code-interpreter", "env_vars": {"GREETING": "hello", "SHARED": "sandbox"}}),
    )
    .await;
    let out = sb
        .exec_with(json!({
            "language": "python",
            "code": "import os\nprint(os.environ['GREETING'], os.environ['SHARED'], os.environ['HOME'], os.getcwd())",
            "env": {"SHARED": "call"},
        }))
        .await;
    assert_eq!(out["stdout"], "hello call /workspace /workspace\n");
    // The host's environment does not leak in.
    let env = sb
        .exec("bash", "env | cut -d= -f1 | sort | tr '\\n' ' '")
        .await;
    let names = env["stdout"].as_str().unwrap();
    for leaked in [
        "CARGO",
        "RUST_LOG",
        "HOPX_API_KEY",
        "PYENV_ROOT",
        "SSH_AUTH_SOCK",
    ] {
        assert!(
            !names.split(' ').any(|n| n == leaked),
            "{leaked} in {names}"
        );
    }
    assert!(names.contains("PATH") && names.contains("HOME"), "{names}");

    let tmp = sb
        .exec_with(json!({"language": "bash", "code": "pwd", "workdir": "/tmp"}))
        .await;
    assert_eq!(tmp["stdout"], "/tmp\n");
    sb.exec("bash", "mkdir -p /workspace/proj/sub").await;
    let sub = sb
        .exec_with(json!({"language": "bash", "code": "pwd", "workdir": "/workspace/proj/sub"}))
        .await;
    assert_eq!(sub["stdout"], "/workspace/proj/sub\n");

    let missing = sb
        .call(
            "POST",
            "/execute",
            Some(&json!({"language": "bash", "code": "pwd", "workdir": "/workspace/nope"})),
        )
        .await;
    assert_eq!(
        agent_error(&missing, 400, "DIRECTORY_NOT_FOUND")["details"]["field"],
        "workdir"
    );
    let outside = sb
        .call(
            "POST",
            "/execute",
            Some(&json!({"language": "bash", "code": "pwd", "workdir": "/etc"})),
        )
        .await;
    agent_error(&outside, 403, "PATH_NOT_ALLOWED");

    for (body, field) in [
        (json!({"language": "python"}), "code"),
        (json!({"code": "1", "timeout": 0}), "timeout"),
        (json!({"code": "1", "timeout": 3601}), "timeout"),
        (json!({"code": "1", "timeout": "10"}), "timeout"),
        (json!({"code": "1", "env": {"A": 1}}), "env"),
        (json!({"code": 5}), "code"),
    ] {
        let response = sb.call("POST", "/execute", Some(&body)).await;
        assert_eq!(response.status, 400, "{body}: {}", response.text());
        assert_eq!(response.json()["details"]["field"], field, "{body}");
    }
    let not_json = sb.send("POST", "/execute", &[], Some(b"{nope")).await;
    agent_error(&not_json, 400, "INVALID_JSON");
    server.shutdown().await;
}

#[tokio::test]
async fn a_timeout_kills_the_busy_loop_and_everything_it_started() {
    let server = start().await;
    if !can_run_code(&server) {
        return;
    }
    let sb = Sandbox::new(server.local_addr()).await;
    let mark = marker("timeout");
    let started = std::time::Instant::now();
    let response = sb
        .call(
            "POST",
            "/execute",
            Some(&json!({
                "language": "bash",
                "code": "echo started; (setsid python3 -c 'while True: pass' &); nohup sleep 1000 >/dev/null 2>&1 & while :; do :; done",
                "timeout": 1,
                "env": {"TEST_MARK": mark},
            })),
        )
        .await;
    let body = agent_error(&response, 408, "EXECUTION_TIMEOUT");
    assert_eq!(body["details"]["stdout"], "started\n");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    no_process_left(&mark, Duration::from_secs(5)).await;

    // The sandbox still works afterwards.
    assert_eq!(
        sb.exec("python", "print('alive')").await["stdout"],
        "alive\n"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn background_processes_are_listed_and_killed() {
    let server = start().await;
    if !can_run_code(&server) {
        return;
    }
    let sb = Sandbox::new(server.local_addr()).await;
    let mark = marker("bg");
    let started = sb
        .call(
            "POST",
            "/execute/background",
            Some(&json!({
                "language": "python",
                "code": "import time\nprint('tick', flush=True)\ntime.sleep(120)",
                "name": "sleeper",
                "env": {"TEST_MARK": mark},
                "timeout": 600,
            })),
        )
        .await;
    assert_eq!(started.status, 200, "{}", started.text());
    let started = started.json();
    let pid = started["process_id"].as_str().unwrap().to_owned();
    assert!(pid.starts_with("proc_"));
    assert!(
        started["execution_id"]
            .as_str()
            .unwrap()
            .starts_with("exec_")
    );
    assert_eq!(started["status"], "running");
    assert_eq!(started["name"], "sleeper");
    assert!(started["start_time"].is_string());

    let quick = sb
        .call(
            "POST",
            "/execute/background",
            Some(&json!({"language": "bash", "code": "echo done; exit 0"})),
        )
        .await
        .json();
    let quick_id = quick["process_id"].as_str().unwrap().to_owned();
    let failing = sb
        .call(
            "POST",
            "/commands/background",
            Some(&json!({"command": "exit 4"})),
        )
        .await
        .json();
    let failing_id = failing["process_id"].as_str().unwrap().to_owned();
    assert_eq!(failing["command"], "exit 4");

    let status_of = |list: &Value, id: &str| {
        list["processes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["process_id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} not in {list}"))
    };
    eventually("the quick ones end", Duration::from_secs(5), || async {
        let list = sb.get("/execute/processes").await.json();
        status_of(&list, &quick_id)["status"] == "completed"
            && status_of(&list, &failing_id)["status"] == "failed"
    })
    .await;
    let list = sb.get("/execute/processes").await.json();
    assert_eq!(list["count"], 3);
    let sleeper = status_of(&list, &pid);
    assert_eq!(sleeper["status"], "running");
    assert_eq!(sleeper["language"], "python");
    assert!(sleeper["end_time"].is_null() && sleeper["exit_code"].is_null());
    for field in ["execution_id", "start_time", "duration", "pid", "name"] {
        assert!(!sleeper[field].is_null(), "{field}: {sleeper}");
    }
    let done = status_of(&list, &quick_id);
    assert_eq!(done["exit_code"], 0);
    assert!(done["end_time"].is_string());
    assert_eq!(status_of(&list, &failing_id)["exit_code"], 4);

    let detail = sb
        .get(&format!("/execute/processes/{quick_id}"))
        .await
        .json();
    assert_eq!(detail["stdout"], "done\n");
    eventually("the sleeper printed", Duration::from_secs(5), || async {
        sb.get(&format!("/execute/processes/{pid}")).await.json()["stdout"] == "tick\n"
    })
    .await;
    assert!(!processes_with(&mark).is_empty(), "the sleeper runs");

    let killed = sb
        .call("DELETE", &format!("/execute/kill?process_id={pid}"), None)
        .await;
    assert_eq!(killed.status, 200, "{}", killed.text());
    assert_eq!(killed.json()["status"], "killed");
    no_process_left(&mark, Duration::from_secs(5)).await;
    eventually("listed as killed", Duration::from_secs(5), || async {
        status_of(&sb.get("/execute/processes").await.json(), &pid)["status"] == "killed"
    })
    .await;

    let unknown = sb
        .call("DELETE", "/execute/kill?process_id=proc_nope", None)
        .await;
    agent_error(&unknown, 404, "PROCESS_NOT_FOUND");
    let missing = sb.call("DELETE", "/execute/kill", None).await;
    agent_error(&missing, 400, "MISSING_PARAMETER");
    // The path form the official SDKs use.
    let again = sb
        .call("POST", &format!("/execute/kill/{quick_id}"), None)
        .await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json()["status"], "completed");
    server.shutdown().await;
}

#[tokio::test]
async fn commands_run_as_the_sdks_send_them() {
    let server = start().await;
    if !can_run_code(&server) {
        return;
    }
    let sb = Sandbox::new(server.local_addr()).await;
    let out = sb
        .sh("echo $((6 * 7)) && pwd && echo oops >&2 && exit 5")
        .await;
    assert_eq!(out["stdout"], "42\n/workspace\n");
    assert_eq!(out["stderr"], "oops\n");
    assert_eq!(out["exit_code"], 5);
    assert_eq!(out["success"], false);
    assert!(out["pid"].as_u64().is_some());
    assert!(out["command"].as_str().unwrap().starts_with("bash -c"));

    // `command` alone goes through a shell.
    let shell = sb
        .call(
            "POST",
            "/commands/run",
            Some(&json!({"command": "echo a | tr a b", "workdir": "/tmp", "env": {"X": "1"}})),
        )
        .await
        .json();
    assert_eq!(shell["stdout"], "b\n");
    let missing = sb
        .call(
            "POST",
            "/commands/run",
            Some(&json!({"command": "no-such-program", "args": []})),
        )
        .await
        .json();
    assert_eq!(missing["exit_code"], 127);
    let timeout = sb
        .call(
            "POST",
            "/commands/run",
            Some(&json!({"command": "bash", "args": ["-c", "sleep 30"], "timeout": 1})),
        )
        .await;
    agent_error(&timeout, 408, "EXECUTION_TIMEOUT");
    let bad = sb
        .call("POST", "/commands/run", Some(&json!({"args": ["x"]})))
        .await;
    assert_eq!(
        agent_error(&bad, 400, "MISSING_PARAMETER")["details"]["field"],
        "command"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn files_text_binary_unicode_and_directories() {
    let server = start().await;
    let sb = Sandbox::new(server.local_addr()).await;
    let write = |body: Value| {
        let sb = sb.clone();
        async move {
            let response = sb.call("POST", "/files/write", Some(&body)).await;
            assert_eq!(response.status, 200, "{body}: {}", response.text());
            response.json()
        }
    };

    // Text, read back as text.
    let written = write(json!({"path": "/workspace/hello.txt", "content": "héllo\n"})).await;
    assert_eq!(written["success"], true);
    assert_eq!(written["path"], "/workspace/hello.txt");
    assert_eq!(written["size"], "héllo\n".len());
    let read = sb.get("/files/read?path=/workspace/hello.txt").await.json();
    assert_eq!(read["content"], "héllo\n");
    assert_eq!(read["size"], 7);
    assert_eq!(read["path"], "/workspace/hello.txt");
    // Relative paths are under /workspace.
    assert_eq!(
        sb.get("/files/read?path=hello.txt").await.json()["content"],
        "héllo\n"
    );

    // Every byte value, byte-exact through base64 and download.
    let all: Vec<u8> = (0..=255u8).collect();
    write(json!({"path": "/workspace/bin/all.bin", "content": STANDARD.encode(&all), "encoding": "base64"}))
        .await;
    let download = sb.get("/files/download?path=/workspace/bin/all.bin").await;
    assert_eq!(download.status, 200);
    assert_eq!(
        download.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(download.body, all);
    let not_text = sb.get("/files/read?path=/workspace/bin/all.bin").await;
    assert!(
        agent_error(&not_text, 415, "NOT_UTF8")["error"]
            .as_str()
            .unwrap()
            .contains("/files/download")
    );
    // Text that happens to be valid base64 stays itself.
    write(json!({"path": "/workspace/test.txt", "content": "test"})).await;
    assert_eq!(
        sb.get("/files/download?path=/workspace/test.txt")
            .await
            .body,
        b"test"
    );
    assert_eq!(
        sb.get("/files/read?path=/workspace/test.txt").await.json()["content"],
        "test"
    );

    // Unicode names, nested directories created on the way.
    let name = "/workspace/dïr ü/文件 名.txt";
    write(json!({"path": name, "content": "unicode"})).await;
    let read = sb
        .get(&format!("/files/read?path={}", q(name)))
        .await
        .json();
    assert_eq!(read["content"], "unicode");
    let list = sb
        .get(&format!("/files/list?path={}", q("/workspace/dïr ü")))
        .await
        .json();
    assert_eq!(list["count"], 1);
    let entry = &list["files"][0];
    assert_eq!(entry["name"], "文件 名.txt");
    assert_eq!(entry["path"], name);
    assert_eq!(entry["size"], 7);
    assert_eq!(entry["is_directory"], false);
    assert_eq!(entry["permissions"], "-rw-r--r--");
    assert!(entry["modified_time"].is_string());

    // Listing the default directory, with directories flagged.
    let root = sb.get("/files/list").await.json();
    assert_eq!(root["path"], "/workspace");
    let names: Vec<&str> = root["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bin", "dïr ü", "hello.txt", "test.txt"]);
    assert_eq!(root["files"][0]["is_directory"], true);

    // exists, mkdir, remove.
    let exists = |path: &str| {
        let sb = sb.clone();
        let path = q(path);
        async move { sb.get(&format!("/files/exists?path={path}")).await.json()["exists"].clone() }
    };
    assert_eq!(exists("/workspace/hello.txt").await, true);
    assert_eq!(exists("/workspace/nope").await, false);
    assert_eq!(exists("/workspace/nope/deeper").await, false);
    let mkdir = sb
        .call(
            "POST",
            "/files/mkdir",
            Some(&json!({"path": "/workspace/a/b/c"})),
        )
        .await;
    assert_eq!(mkdir.status, 200, "{}", mkdir.text());
    assert_eq!(exists("/workspace/a/b/c").await, true);
    let again = sb
        .call(
            "POST",
            "/files/mkdir",
            Some(&json!({"path": "/workspace/a/b/c"})),
        )
        .await;
    assert_eq!(again.status, 200, "mkdir is idempotent");
    write(json!({"path": "/workspace/a/b/c/f.txt", "content": "x"})).await;
    let removed = sb
        .call("DELETE", "/files/remove?path=/workspace/a", None)
        .await;
    assert_eq!(removed.status, 200, "{}", removed.text());
    assert_eq!(exists("/workspace/a").await, false);
    let gone = sb
        .call("DELETE", "/files/remove?path=/workspace/a", None)
        .await;
    agent_error(&gone, 404, "FILE_NOT_FOUND");

    // Overwrite rules, modes.
    let no_overwrite = sb
        .call(
            "POST",
            "/files/write",
            Some(&json!({"path": "hello.txt", "content": "x", "overwrite": false})),
        )
        .await;
    agent_error(&no_overwrite, 409, "FILE_ALREADY_EXISTS");
    write(json!({"path": "/workspace/run.sh", "content": "#!/bin/sh\necho ran\n", "mode": "0755"}))
        .await;
    let list = sb.get("/files/list").await.json();
    let script = list["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "run.sh")
        .unwrap()
        .clone();
    assert_eq!(script["permissions"], "-rwxr-xr-x");

    // Upload, into a path and into a directory.
    let payload: Vec<u8> = (0..2000u32).map(|i| (i * 7 % 256) as u8).collect();
    let (ctype, body) = multipart("data.bin", &payload, Some("/workspace/up/data.bin"));
    let up = sb
        .send(
            "POST",
            "/files/upload",
            &[("Content-Type", &ctype)],
            Some(&body),
        )
        .await;
    assert_eq!(up.status, 200, "{}", up.text());
    assert_eq!(up.json()["size"], 2000);
    assert_eq!(
        sb.get("/files/download?path=/workspace/up/data.bin")
            .await
            .body,
        payload
    );
    let (ctype, body) = multipart("second.bin", b"2", Some("/workspace/up/"));
    let up = sb
        .send(
            "POST",
            "/files/upload",
            &[("Content-Type", &ctype)],
            Some(&body),
        )
        .await;
    assert_eq!(up.json()["path"], "/workspace/up/second.bin");
    let (ctype, body) = multipart("third.bin", b"3", None);
    let up = sb
        .send(
            "POST",
            "/files/upload",
            &[("Content-Type", &ctype)],
            Some(&body),
        )
        .await;
    assert_eq!(up.json()["path"], "/workspace/third.bin");

    // Errors.
    agent_error(
        &sb.get("/files/read?path=/workspace/missing.txt").await,
        404,
        "FILE_NOT_FOUND",
    );
    agent_error(
        &sb.get("/files/list?path=/workspace/missing").await,
        404,
        "DIRECTORY_NOT_FOUND",
    );
    agent_error(&sb.get("/files/read").await, 400, "MISSING_PARAMETER");
    agent_error(
        &sb.get("/files/read?path=/workspace/up").await,
        400,
        "INVALID_PATH",
    );
    for outside in [
        "/etc/passwd",
        "/workspace/../../etc/passwd",
        "/root",
        "/",
        "../x",
    ] {
        let response = sb.get(&format!("/files/read?path={}", q(outside))).await;
        agent_error(&response, 403, "PATH_NOT_ALLOWED");
        let response = sb
            .call(
                "POST",
                "/files/write",
                Some(&json!({"path": outside, "content": "x"})),
            )
            .await;
        agent_error(&response, 403, "PATH_NOT_ALLOWED");
    }
    let bad = sb
        .call(
            "POST",
            "/files/write",
            Some(&json!({"path": "x", "content": "%%%", "encoding": "base64"})),
        )
        .await;
    assert_eq!(
        agent_error(&bad, 400, "INVALID_REQUEST")["details"]["field"],
        "content"
    );
    let bad = sb
        .call("POST", "/files/write", Some(&json!({"content": "x"})))
        .await;
    assert_eq!(
        agent_error(&bad, 400, "MISSING_PARAMETER")["details"]["field"],
        "path"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn files_and_code_share_the_sandbox_and_symlinks_cannot_escape() {
    let server = start().await;
    if !can_run_code(&server) {
        return;
    }
    let addr = server.local_addr();
    let sb = Sandbox::new(addr).await;
    let other = Sandbox::new(addr).await;
    other.sh("echo other-secret > /workspace/secret.txt").await;

    // A file written through the API can be changed by code, and the reverse.
    let response = sb
        .call(
            "POST",
            "/files/write",
            Some(&json!({"path": "/workspace/api.txt", "content": "api"})),
        )
        .await;
    assert_eq!(response.status, 200);
    let out = sb
        .sh("cat api.txt && echo more >> api.txt && echo code > /tmp/code.txt")
        .await;
    assert_eq!(out["exit_code"], 0, "{out}");
    assert_eq!(
        sb.get("/files/read?path=/workspace/api.txt").await.json()["content"],
        "apimore\n"
    );
    assert_eq!(
        sb.get("/files/read?path=/tmp/code.txt").await.json()["content"],
        "code\n"
    );

    // Symlinks planted by code: inside the sandbox they are followed, out of it refused.
    let other_root = root_of(&server, &other.id);
    let other_secret = other_root.join("workspace/secret.txt");
    let script = format!(
        "ln -s /etc/passwd /workspace/passwd; ln -s {} /workspace/hostpath; \
         ln -s ../../{}/workspace/secret.txt /workspace/rel; ln -s /workspace/api.txt /workspace/inside; \
         ln -s / /workspace/rootdir; mkdir -p /workspace/d; ln -s /etc /workspace/d/etc",
        other_secret.display(),
        other.id
    );
    assert_eq!(sb.sh(&script).await["exit_code"], 0);
    for link in ["passwd", "rel", "rootdir/etc/passwd", "d/etc/passwd"] {
        let response = sb.get(&format!("/files/read?path=/workspace/{link}")).await;
        agent_error(&response, 403, "PATH_NOT_ALLOWED");
        let response = sb
            .get(&format!("/files/download?path=/workspace/{link}"))
            .await;
        assert_eq!(response.status, 403, "{link}");
        let response = sb
            .call(
                "POST",
                "/files/write",
                Some(&json!({"path": format!("/workspace/{link}"), "content": "pwned"})),
            )
            .await;
        assert_eq!(response.status, 403, "{link}: {}", response.text());
    }
    // A link's absolute target is read as a sandbox path: the host path of the other
    // sandbox names a missing directory under this sandbox's /tmp.
    let response = sb.get("/files/read?path=/workspace/hostpath").await;
    agent_error(&response, 404, "DIRECTORY_NOT_FOUND");
    assert!(!response.text().contains("other-secret"));
    assert_eq!(
        sb.get("/files/read?path=/workspace/inside").await.json()["content"],
        "apimore\n"
    );
    assert_eq!(
        std::fs::read_to_string(&other_secret).unwrap(),
        "other-secret\n"
    );
    assert!(
        std::fs::read_to_string("/etc/passwd")
            .unwrap()
            .contains("root:")
    );
    // Removing a link removes the link, not its target.
    let removed = sb
        .call("DELETE", "/files/remove?path=/workspace/d", None)
        .await;
    assert_eq!(removed.status, 200, "{}", removed.text());
    assert!(std::path::Path::new("/etc/passwd").exists());
    // The file API of one sandbox does not reach another's files.
    let response = sb
        .get(&format!(
            "/files/read?path={}",
            q(&format!(
                "/workspace/../../{}/workspace/secret.txt",
                other.id
            ))
        ))
        .await;
    agent_error(&response, 403, "PATH_NOT_ALLOWED");
    server.shutdown().await;
}

#[tokio::test]
async fn env_round_trips_with_merge_delete_and_clear() {
    let server = start().await;
    let sb = Sandbox::create(
        server.local_addr(),
        KEY_A,
        json!({"template_name": "code-interpreter", "env_vars": {"FROM_CREATE": "1"}}),
    )
    .await;
    let env = sb.get("/env").await.json();
    assert_eq!(env["env_vars"], json!({"FROM_CREATE": "1"}));
    assert_eq!(env["count"], 1);

    let patched = sb
        .call(
            "PATCH",
            "/env",
            Some(&json!({"env_vars": {"A": "a", "B": "b"}, "merge": true})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_eq!(
        sb.get("/env").await.json()["env_vars"],
        json!({"FROM_CREATE": "1", "A": "a", "B": "b"})
    );
    // null deletes one variable (JSON Merge Patch), leaving the others.
    sb.call("PATCH", "/env", Some(&json!({"env_vars": {"A": null}})))
        .await;
    assert_eq!(
        sb.get("/env").await.json()["env_vars"],
        json!({"FROM_CREATE": "1", "B": "b"})
    );
    let replaced = sb
        .call("PUT", "/env", Some(&json!({"env_vars": {"ONLY": "this"}})))
        .await;
    assert_eq!(replaced.status, 200);
    assert_eq!(replaced.json()["env_vars"], json!({"ONLY": "this"}));
    if can_run_code(&server) {
        let out = sb
            .exec(
                "python",
                "import os; print(os.environ.get('ONLY'), os.environ.get('FROM_CREATE'))",
            )
            .await;
        assert_eq!(out["stdout"], "this None\n");
    }
    let cleared = sb.call("DELETE", "/env", None).await;
    assert_eq!(cleared.status, 200);
    let env = sb.get("/env").await.json();
    assert_eq!(env["env_vars"], json!({}));
    assert_eq!(env["count"], 0);

    for body in [
        json!({}),
        json!({"env_vars": ["A"]}),
        json!({"env_vars": {"A": 1}}),
        json!({"env_vars": {"": "x"}}),
        json!({"env_vars": {"A=B": "x"}}),
    ] {
        let response = sb.call("PUT", "/env", Some(&body)).await;
        assert_eq!(response.status, 400, "{body}: {}", response.text());
        assert_eq!(response.json()["details"]["field"], "env_vars", "{body}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn only_the_sandbox_token_opens_the_agent() {
    let server = start_with_ttl(Duration::from_secs(1)).await;
    let addr = server.local_addr();
    let sb = Sandbox::new(addr).await;
    let other = Sandbox::create(addr, KEY_B, json!({"template_name": "code-interpreter"})).await;
    let path = format!("{}/env", sb.base);
    let call = |headers: Vec<(&'static str, String)>| {
        let path = path.clone();
        async move {
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            request(addr, "GET", &path, &headers, None).await
        }
    };

    assert_eq!(
        call(vec![("Authorization", format!("Bearer {}", sb.token))])
            .await
            .status,
        200
    );
    agent_error(&call(vec![]).await, 401, "UNAUTHORIZED");
    for key in [KEY_A, KEY_B] {
        let as_bearer = call(vec![("Authorization", format!("Bearer {key}"))]).await;
        let body = agent_error(&as_bearer, 401, "UNAUTHORIZED");
        assert!(
            body["error"].as_str().unwrap().contains("API key"),
            "{body}"
        );
        assert!(!as_bearer.text().contains(key), "the key is echoed");
        agent_error(
            &call(vec![("X-API-Key", key.to_owned())]).await,
            401,
            "UNAUTHORIZED",
        );
    }
    agent_error(
        &call(vec![("Authorization", "Basic abc".into())]).await,
        401,
        "UNAUTHORIZED",
    );
    agent_error(
        &call(vec![("Authorization", "Bearer not.a.jwt".into())]).await,
        401,
        "INVALID_TOKEN",
    );
    let forged = format!("{}x", &sb.token[..sb.token.len() - 1]);
    agent_error(
        &call(vec![("Authorization", format!("Bearer {forged}"))]).await,
        401,
        "INVALID_TOKEN",
    );
    // Another sandbox's token (another organization's, even) does not open this one.
    agent_error(
        &call(vec![("Authorization", format!("Bearer {}", other.token))]).await,
        401,
        "INVALID_TOKEN",
    );

    // /health and /info need nothing; an unknown sandbox is a 404 in the agent's shape.
    for route in ["/health", "/info"] {
        let response = request(addr, "GET", &format!("{}{route}", sb.base), &[], None).await;
        assert_eq!(response.status, 200, "{route}: {}", response.text());
        response.request_id();
    }
    let info = request(addr, "GET", &format!("{}/info", sb.base), &[], None)
        .await
        .json();
    assert_eq!(info["vm_id"], sb.id);
    let unknown = request(addr, "GET", "/agent/nosuchsandbox/health", &[], None).await;
    agent_error(&unknown, 404, "SANDBOX_NOT_FOUND");
    let unknown = request(
        addr,
        "GET",
        "/agent/nosuchsandbox/env",
        &[("Authorization", &format!("Bearer {}", sb.token))],
        None,
    )
    .await;
    agent_error(&unknown, 401, "INVALID_TOKEN");
    // Unknown routes and methods get the agent's error body too.
    agent_error(&sb.get("/nope").await, 404, "NOT_FOUND");
    agent_error(
        &sb.call("PATCH", "/execute", None).await,
        405,
        "METHOD_NOT_ALLOWED",
    );

    // Tokens expire; a refreshed one works again.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    agent_error(
        &call(vec![("Authorization", format!("Bearer {}", sb.token))]).await,
        401,
        "TOKEN_EXPIRED",
    );
    let refreshed = post_empty(
        addr,
        &format!("/v1/sandboxes/{}/token/refresh", sb.id),
        KEY_A,
    )
    .await;
    let token = refreshed.json()["auth_token"].as_str().unwrap().to_owned();
    assert_eq!(
        call(vec![("Authorization", format!("Bearer {token}"))])
            .await
            .status,
        200
    );
    server.shutdown().await;
}

#[tokio::test]
async fn paused_and_stopped_sandboxes_refuse_work_and_resume_continues() {
    let server = start().await;
    if !can_run_code(&server) {
        return;
    }
    let addr = server.local_addr();
    let sb = Sandbox::new(addr).await;
    let mark = marker("pause");
    // A counter that writes every 50 ms.
    let counter = sb
        .call(
            "POST",
            "/execute/background",
            Some(&json!({
                "language": "bash",
                "code": "i=0; while :; do i=$((i+1)); echo $i > /workspace/count; sleep 0.05; done",
                "env": {"TEST_MARK": mark},
                "timeout": 600,
            })),
        )
        .await;
    assert_eq!(counter.status, 200, "{}", counter.text());
    let count = || {
        let sb = sb.clone();
        async move {
            sb.sh("cat /workspace/count").await["stdout"]
                .as_str()
                .unwrap()
                .trim()
                .parse::<u64>()
                .unwrap_or(0)
        }
    };
    eventually("the counter counts", Duration::from_secs(5), || async {
        count().await > 2
    })
    .await;
    let root = root_of(&server, &sb.id);
    let count_on_disk = || {
        std::fs::read_to_string(root.join("workspace/count"))
            .unwrap_or_default()
            .trim()
            .parse::<u64>()
            .unwrap_or(0)
    };

    assert_eq!(
        post_empty(addr, &format!("/v1/sandboxes/{}/pause", sb.id), KEY_A)
            .await
            .status,
        200
    );
    let refused = sb
        .call("POST", "/execute", Some(&json!({"code": "print(1)"})))
        .await;
    let body = agent_error(&refused, 409, "SANDBOX_NOT_RUNNING");
    assert!(body["error"].as_str().unwrap().contains("resume"), "{body}");
    assert_eq!(body["details"]["status"], "paused");
    agent_error(&sb.get("/files/list").await, 409, "SANDBOX_NOT_RUNNING");
    let health = request(addr, "GET", &format!("{}/health", sb.base), &[], None)
        .await
        .json();
    assert_eq!(health["status"], "paused");
    // Frozen: the counter does not move.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let frozen = count_on_disk();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        count_on_disk(),
        frozen,
        "processes of a paused sandbox do not run"
    );

    assert_eq!(
        post_empty(addr, &format!("/v1/sandboxes/{}/resume", sb.id), KEY_A)
            .await
            .status,
        200
    );
    eventually("the counter continues", Duration::from_secs(5), || async {
        count_on_disk() > frozen + 2
    })
    .await;

    // Stop kills the processes but keeps the files.
    assert_eq!(
        post_empty(addr, &format!("/v1/sandboxes/{}/stop", sb.id), KEY_A)
            .await
            .status,
        200
    );
    no_process_left(&mark, Duration::from_secs(5)).await;
    agent_error(&sb.get("/env").await, 409, "SANDBOX_NOT_RUNNING");
    assert_eq!(
        post_empty(addr, &format!("/v1/sandboxes/{}/start", sb.id), KEY_A)
            .await
            .status,
        200
    );
    // The counter may have been killed between truncating its file and writing it, so
    // the file's presence is what tells that files survive a stop.
    let kept = sb.get("/files/exists?path=/workspace/count").await.json();
    assert_eq!(kept["exists"], true, "the files survived a stop");
    eventually(
        "the counter is listed as killed",
        Duration::from_secs(5),
        || async {
            sb.get("/execute/processes").await.json()["processes"][0]["status"] == "killed"
        },
    )
    .await;
    server.shutdown().await;
}

#[tokio::test]
async fn kill_removes_every_process_and_the_root() {
    let server = start().await;
    if !can_run_code(&server) {
        return;
    }
    let addr = server.local_addr();
    let sb = Sandbox::new(addr).await;
    let keep = Sandbox::new(addr).await;
    let mark = marker("kill");
    for code in [
        "sleep 300",
        "(setsid sleep 301 &); nohup sleep 302 >/dev/null 2>&1 & sleep 303",
    ] {
        let response = sb
            .call(
                "POST",
                "/execute/background",
                Some(&json!({"language": "bash", "code": code, "env": {"TEST_MARK": mark}})),
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.text());
    }
    eventually("processes run", Duration::from_secs(5), || async {
        processes_with(&mark).len() >= 4
    })
    .await;
    let root = root_of(&server, &sb.id);
    let uid = server.sandbox_uid(&sb.id);

    assert_eq!(
        delete(addr, &format!("/v1/sandboxes/{}", sb.id), KEY_A)
            .await
            .status,
        200
    );
    // Both gone by the time DELETE answers.
    assert!(
        processes_with(&mark).is_empty(),
        "{:?}",
        processes_with(&mark)
    );
    assert!(!root.exists(), "{} still exists", root.display());
    if let Some(uid) = uid {
        let owned: Vec<u32> = std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .filter(|pid: &u32| {
                std::fs::read_to_string(format!("/proc/{pid}/status")).is_ok_and(|s| {
                    s.lines().any(|l| {
                        l.starts_with("Uid:")
                            && l.split_whitespace().nth(1) == Some(&uid.to_string())
                    }) && !s
                        .lines()
                        .any(|l| l.starts_with("State:") && l.contains('Z'))
                })
            })
            .collect();
        assert!(owned.is_empty(), "processes of uid {uid}: {owned:?}");
    }
    agent_error(&sb.get("/health").await, 404, "SANDBOX_NOT_FOUND");
    // The other sandbox is untouched.
    assert_eq!(
        keep.exec("python", "print('still here')").await["stdout"],
        "still here\n"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_kills_every_sandbox_and_removes_the_directory() {
    let server = start().await;
    if !can_run_code(&server) {
        return;
    }
    let addr = server.local_addr();
    let mark = marker("shutdown");
    let mut roots = Vec::new();
    for _ in 0..2 {
        let sb = Sandbox::new(addr).await;
        let response = sb
            .call(
                "POST",
                "/execute/background",
                Some(&json!({"language": "python", "code": "import time; time.sleep(300)", "env": {"TEST_MARK": mark}})),
            )
            .await;
        assert_eq!(response.status, 200);
        roots.push(root_of(&server, &sb.id));
    }
    eventually("processes run", Duration::from_secs(5), || async {
        processes_with(&mark).len() >= 2
    })
    .await;
    let dir = roots[0].parent().unwrap().to_owned();
    server.shutdown().await;
    assert!(processes_with(&mark).is_empty());
    assert!(!dir.exists(), "{} still exists", dir.display());
}

#[tokio::test]
async fn output_is_capped_with_a_marker() {
    let server = start().await;
    if !can_run_code(&server) {
        return;
    }
    let sb = Sandbox::new(server.local_addr()).await;
    let out = sb
        .exec(
            "python",
            "import sys\nsys.stdout.write('x' * (11 * 1024 * 1024))\nprint('end', file=sys.stderr)",
        )
        .await;
    let stdout = out["stdout"].as_str().unwrap();
    assert!(stdout.len() < 10 * 1024 * 1024 + 200, "{}", stdout.len());
    assert!(
        stdout.ends_with("are kept]\n"),
        "{}",
        &stdout[stdout.len() - 100..]
    );
    assert!(stdout.contains("output truncated: 11534336 bytes were written"));
    assert_eq!(out["stderr"], "end\n");
    assert_eq!(out["exit_code"], 0);
    server.shutdown().await;
}

/// Median time from `POST /v1/sandboxes` to the first `/execute` answer
/// (`print(1+1)` in Python). Run with `cargo test -p hopx-local --test agent -- --ignored
/// --nocapture create_to_first_execute`.
#[tokio::test]
#[ignore = "a measurement, not a check; run it by hand"]
async fn create_to_first_execute_latency() {
    let server = start().await;
    if !can_run_code(&server) {
        return;
    }
    let addr = server.local_addr();
    let mut create_ms = Vec::new();
    let mut total_ms = Vec::new();
    for _ in 0..20 {
        let t0 = std::time::Instant::now();
        let sb = Sandbox::new(addr).await;
        let t1 = t0.elapsed();
        let out = sb.exec("python", "print(1+1)").await;
        let t2 = t0.elapsed();
        assert_eq!(out["stdout"], "2\n");
        create_ms.push(t1.as_secs_f64() * 1000.0);
        total_ms.push(t2.as_secs_f64() * 1000.0);
        delete(addr, &format!("/v1/sandboxes/{}", sb.id), KEY_A).await;
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    // The sandbox alone: `true` through /commands/run (no interpreter, no shell).
    let sb = Sandbox::new(addr).await;
    let mut sandbox_only = Vec::new();
    for _ in 0..20 {
        let t = std::time::Instant::now();
        let out = sb
            .call(
                "POST",
                "/commands/run",
                Some(&json!({"command": "true", "args": []})),
            )
            .await;
        assert_eq!(out.status, 200);
        sandbox_only.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let bare = {
        let mut v = Vec::new();
        for _ in 0..20 {
            let t = std::time::Instant::now();
            let out = std::process::Command::new("/usr/bin/python3")
                .args(["-c", "print(1+1)"])
                .output()
                .unwrap();
            assert!(out.status.success());
            v.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        median(&mut v)
    };
    eprintln!(
        "create -> first execute: median {:.1} ms (create {:.1} ms); an empty command in the \
         sandbox: {:.1} ms; /usr/bin/python3 -c 'print(1+1)' unsandboxed: {:.1} ms",
        median(&mut total_ms),
        median(&mut create_ms),
        median(&mut sandbox_only),
        bare
    );
    server.shutdown().await;
}

#[tokio::test]
async fn bodies_are_capped_per_route() {
    let server = start().await;
    let sb = Sandbox::new(server.local_addr()).await;
    let big = "x".repeat(11 * 1024 * 1024);
    let too_big = sb
        .call(
            "POST",
            "/execute",
            Some(&json!({"code": big, "language": "python"})),
        )
        .await;
    agent_error(&too_big, 413, "REQUEST_TOO_LARGE");
    // /files/write takes up to 100 MiB.
    let written = sb
        .call(
            "POST",
            "/files/write",
            Some(&json!({"path": "big.txt", "content": big})),
        )
        .await;
    assert_eq!(written.status, 200, "{}", written.text());
    assert_eq!(written.json()["size"], 11 * 1024 * 1024);
    let read = sb.get("/files/download?path=big.txt").await;
    assert_eq!(read.body.len(), 11 * 1024 * 1024);
    server.shutdown().await;
}
