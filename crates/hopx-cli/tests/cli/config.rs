//! `hopx config ...`: settings, profiles, the file's mode and atomic replacement.

use crate::common::{Env, masked, mode, random_key};

#[test]
fn set_get_unset_list_path() {
    let key = random_key();
    let mut env = Env::new();
    env.secret(&key);

    let view = env.hopx(&["config", "path", "-o", "json"]).ok().json();
    assert_eq!(
        view["config_path"],
        env.config_file().display().to_string().as_str()
    );
    assert_eq!(view["exists"], false);
    let run = env.hopx(&["config", "path"]).ok();
    assert_eq!(run.stdout.trim(), env.config_file().display().to_string());

    // Nothing set yet: not found.
    env.hopx(&["config", "get", "base_url"]).expect(4);

    // The key: from stdin (`-`), masked on the way back.
    let view = env
        .hopx_stdin(
            &["config", "set", "api_key", "-", "-o", "json"],
            &format!("{key}\n"),
        )
        .ok()
        .json();
    assert_eq!(view["value"], masked(&key));
    assert_eq!(view["profile"], "default");
    assert_eq!(mode(&env.config_file()), 0o600);
    env.hopx(&["config", "set", "base-url", "http://127.0.0.1:9/"])
        .ok();
    env.hopx(&["config", "set", "default_template", "base"])
        .ok();
    env.hopx(&["config", "set", "auth_header", "X-API-Key"])
        .ok();

    let run = env.hopx(&["config", "get", "api_key"]).ok();
    assert_eq!(run.stdout.trim(), masked(&key));
    let run = env.hopx(&["config", "get", "api_key", "--reveal"]).ok();
    assert_eq!(run.stdout.trim(), key);
    let run = env.hopx(&["config", "get", "base_url"]).ok();
    assert_eq!(run.stdout.trim(), "http://127.0.0.1:9");
    let view = env
        .hopx(&["config", "get", "auth_header", "-o", "json"])
        .ok()
        .json();
    assert_eq!(view["value"], "x-api-key");
    assert_eq!(view["key"], "auth_header");

    let view = env.hopx(&["config", "list", "-o", "json"]).ok().json();
    assert_eq!(view["profile"], "default");
    assert_eq!(view["exists"], true);
    assert_eq!(view["settings"]["api_key"], masked(&key));
    assert_eq!(view["settings"]["base_url"], "http://127.0.0.1:9");
    assert_eq!(view["settings"]["default_template"], "base");
    assert_eq!(view["settings"]["auth_header"], "x-api-key");
    let run = env.hopx(&["config", "list", "-o", "plain"]).ok();
    assert!(
        run.stdout.contains("default_template\tbase\n"),
        "{}",
        run.stdout
    );
    let run = env
        .hopx(&["config", "list", "--reveal", "-o", "plain"])
        .ok();
    assert!(run.stdout.contains(&format!("api_key\t{key}\n")));

    // Bad values are refused, and the file is unchanged.
    let before = env.config_text();
    env.hopx(&["config", "set", "base_url", "ftp://example"])
        .expect(2);
    env.hopx(&["config", "set", "auth_header", "cookie"])
        .expect(2);
    env.hopx(&["config", "set", "default_template", "a/b"])
        .expect(2);
    env.hopx(&["config", "set", "nonsense", "1"]).expect(2);
    let run = env
        .hopx(&["config", "set", "api_key", "sk_live_abcdefsecretstuff"])
        .expect(3);
    assert!(!run.stderr.contains("abcdefsecretstuff"), "{}", run.stderr);
    assert_eq!(env.config_text(), before);

    let view = env
        .hopx(&["config", "unset", "base_url", "-o", "json"])
        .ok()
        .json();
    assert_eq!(view["removed"], true);
    let view = env
        .hopx(&["config", "unset", "base_url", "-o", "json"])
        .ok()
        .json();
    assert_eq!(view["removed"], false);
    env.hopx(&["config", "get", "base_url"]).expect(4);
    assert!(env.config_text().contains("default_template = \"base\""));
}

#[test]
fn profiles_list_use_create_delete() {
    let key = random_key();
    let mut env = Env::new();
    env.secret(&key);
    let list = |env: &Env| {
        env.hopx(&["config", "profiles", "list", "-o", "json"])
            .ok()
            .json()
    };
    assert_eq!(list(&env), serde_json::json!([]));

    env.hopx(&["config", "profiles", "create", "work"]).ok();
    env.hopx(&["config", "profiles", "create", "work"])
        .expect(2);
    env.hopx(&["config", "profiles", "create", "bad name"])
        .expect(2);
    env.hopx(&["--profile", "work", "config", "set", "api_key", &key])
        .ok();
    env.hopx(&["config", "profiles", "create", "play"]).ok();

    let profiles = list(&env);
    let names: Vec<&str> = profiles
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["play", "work"]);
    // The first profile of a new file became the default, so the SDKs find it.
    assert_eq!(profiles[1]["default"], true);
    assert_eq!(profiles[1]["in_use"], true);
    assert_eq!(profiles[1]["api_key"], masked(&key));
    assert_eq!(profiles[0]["api_key"], serde_json::Value::Null);

    let view = env
        .hopx(&["config", "profiles", "use", "play", "-o", "json"])
        .ok()
        .json();
    assert_eq!(view["default_profile"], "play");
    env.hopx(&["config", "profiles", "use", "nope"]).expect(4);
    let profiles = list(&env);
    assert_eq!(profiles[0]["default"], true);
    assert_eq!(profiles[0]["in_use"], true);

    // HOPX_PROFILE and --profile choose the profile config commands act on.
    let mut env = env;
    env.set("HOPX_PROFILE", "work");
    let run = env.hopx(&["config", "get", "api_key"]).ok();
    assert_eq!(run.stdout.trim(), masked(&key));
    env.hopx(&["--profile", "play", "config", "get", "api_key"])
        .expect(4);
    env.unset("HOPX_PROFILE");

    env.hopx(&["config", "profiles", "delete", "play"]).ok();
    env.hopx(&["config", "profiles", "delete", "play"])
        .expect(4);
    let text = env.config_text();
    assert!(!text.contains("play"), "{text}");
    assert!(text.contains("[profiles.work]"), "{text}");
}

#[test]
fn edits_keep_what_they_do_not_touch() {
    let env = Env::new();
    std::fs::create_dir_all(env.config_file().parent().unwrap()).unwrap();
    std::fs::write(
        env.config_file(),
        "# written by hand\ndefault_profile = \"default\"\n\n[profiles.default]\nbase_url = \"http://127.0.0.1:5\" # local\ncustom = true\n\n[profiles.other]\ndefault_template = \"base\"\n",
    )
    .unwrap();
    env.hopx(&["config", "set", "auth_header", "bearer"]).ok();
    let text = env.config_text();
    for kept in [
        "# written by hand",
        "base_url = \"http://127.0.0.1:5\" # local",
        "custom = true",
        "[profiles.other]",
        "default_template = \"base\"",
        "auth_header = \"bearer\"",
    ] {
        assert!(text.contains(kept), "{kept:?} missing:\n{text}");
    }
    // Private after the first write, even if it was not before.
    assert_eq!(mode(&env.config_file()), 0o600);
}

#[test]
fn a_broken_file_is_reported_not_overwritten() {
    let env = Env::new();
    std::fs::create_dir_all(env.config_file().parent().unwrap()).unwrap();
    std::fs::write(env.config_file(), "[profiles.default\napi_key = 1\n").unwrap();
    let run = env
        .hopx(&["config", "set", "base_url", "http://127.0.0.1:1"])
        .expect(2);
    assert!(run.stderr.contains("line 1"), "{}", run.stderr);
    assert_eq!(env.config_text(), "[profiles.default\napi_key = 1\n");
}

/// A reader never sees a half-written file while writers replace it, and a failed write
/// leaves the old file and no temporary file behind.
#[test]
fn writes_are_atomic() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    env.hopx(&["config", "set", "default_template", "base"])
        .ok();
    let path = env.config_file();
    let dir = path.parent().unwrap().to_owned();

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let stop = stop.clone();
        let path = path.clone();
        std::thread::spawn(move || {
            let mut reads = 0u32;
            // Bounded: the writers take a few seconds at most.
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && reads < 1_000_000 {
                let text = std::fs::read_to_string(&path).expect("the file is always there");
                assert!(
                    text.contains("default_template = \"base\""),
                    "a reader saw a partial file: {text:?}"
                );
                reads += 1;
            }
            reads
        })
    };
    for i in 0..15 {
        let url = format!("http://127.0.0.1:{}", 1000 + i);
        env.hopx(&["config", "set", "base_url", &url]).ok();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(reader.join().unwrap() > 0);
    assert!(env.config_text().contains("http://127.0.0.1:1014"));

    // A directory that cannot be written: the write fails, the old file stays as it was.
    let before = env.config_text();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o500)).unwrap();
    let run = env.hopx(&["config", "set", "base_url", "http://127.0.0.1:2"]);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    if run.code != 0 {
        // (As root the directory stays writable, and the write simply succeeds.)
        assert!(run.stderr.contains("Could not write"), "{}", run.stderr);
        assert_eq!(env.config_text(), before);
    }
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["config.toml"], "temporary files left behind");
}

#[test]
fn hopx_config_dir_moves_the_file() {
    let mut env = Env::new();
    let dir = env.work().join("elsewhere");
    env.set("HOPX_CONFIG_DIR", dir.to_str().unwrap());
    env.hopx(&["config", "set", "default_template", "base"])
        .ok();
    assert!(dir.join("config.toml").is_file());
    assert!(!env.config_file().exists());
    let run = env.hopx(&["config", "path"]).ok();
    assert_eq!(
        run.stdout.trim(),
        dir.join("config.toml").display().to_string()
    );
}
