//! `hopx auth login | status | logout`, and which key wins.

use crate::common::{Env, Server, login, masked, mode, random_key};

#[test]
fn login_from_stdin_stores_the_key_privately_after_checking_it() {
    let server = Server::start();
    let env = Env::for_server(&server);
    // --with-key, JSON output.
    let run = env
        .hopx_stdin(
            &[
                "auth",
                "login",
                "--with-key",
                "--base-url",
                &server.url,
                "-o",
                "json",
            ],
            &format!("  {}\n", server.key),
        )
        .ok();
    let view = run.json();
    assert_eq!(view["profile"], "default");
    assert_eq!(view["api_key"], masked(&server.key));
    assert_eq!(view["base_url"], server.url.as_str());
    assert_eq!(view["verified"], true);
    assert!(view["templates"].as_u64().unwrap() > 0);
    assert_eq!(
        view["config_path"],
        env.config_file().display().to_string().as_str()
    );

    let text = env.config_text();
    assert!(
        text.contains(&format!("api_key = \"{}\"", server.key)),
        "{text}"
    );
    assert!(
        text.contains(&format!("base_url = \"{}\"", server.url)),
        "{text}"
    );
    assert_eq!(mode(&env.config_file()), 0o600);
    assert_eq!(mode(env.config_file().parent().unwrap()), 0o700);

    // A pipe without --with-key works too, into another profile; the first profile stays.
    let run = env
        .hopx_stdin(
            &[
                "auth",
                "login",
                "--profile",
                "ci",
                "--base-url",
                &server.url,
            ],
            &server.other_key,
        )
        .ok();
    assert!(run.stdout.contains("profile"), "{}", run.stdout);
    let text = env.config_text();
    assert!(
        text.contains("[profiles.default]") && text.contains("[profiles.ci]"),
        "{text}"
    );
    assert!(text.contains(&server.key) && text.contains(&server.other_key));
}

#[test]
fn login_refuses_bad_keys_and_stores_nothing() {
    let server = Server::start();
    let mut env = Env::for_server(&server);
    // A well-formed key the server does not know: rejected by the API (exit 3).
    let unknown = random_key();
    env.secret(&unknown);
    let run = env
        .hopx_stdin(
            &["auth", "login", "--base-url", &server.url, "-o", "json"],
            &unknown,
        )
        .expect(3);
    let error = run.json_error();
    assert_eq!(error["code"], "authentication_error");
    assert_eq!(error["exit_code"], 3);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("Nothing was stored")
    );
    assert!(run.stdout.is_empty());

    // A malformed key: refused before anything is sent, without echoing it.
    let run = env
        .hopx_stdin(
            &["auth", "login", "--base-url", &server.url],
            "hopx_live_short.myverysecretpart",
        )
        .expect(3);
    assert!(run.stderr.contains("key id"), "{}", run.stderr);
    assert!(!run.stderr.contains("myverysecretpart"));

    // An unreachable server: a network error (exit 6).
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    env.hopx_stdin(&["auth", "login", "--base-url", &closed], &server.key)
        .expect(6);

    assert!(!env.config_file().exists(), "{}", env.config_text());

    // --no-verify stores it without asking.
    env.hopx_stdin(
        &["auth", "login", "--no-verify", "--base-url", &closed],
        &server.key,
    )
    .ok();
    assert!(env.config_text().contains(&server.key));
}

#[test]
fn status_says_which_key_from_where_and_whether_it_works() {
    let server = Server::start();
    let mut env = Env::for_server(&server);

    // Nothing anywhere: not logged in, exit 3, the core's list of places looked in.
    let run = env
        .hopx(&["auth", "status", "--base-url", &server.url, "-o", "json"])
        .expect(3);
    let view = run.json();
    assert_eq!(view["logged_in"], false);
    assert_eq!(view["error"]["code"], "api_key_missing");
    let run = env.hopx(&["auth", "status"]).expect(3);
    assert!(run.stdout.contains("logged in"), "{}", run.stdout);
    assert!(run.stderr.contains("HOPX_API_KEY"), "{}", run.stderr);

    // Logged in: the config file, verified.
    login(&env, &server);
    let view = env.hopx(&["auth", "status", "-o", "json"]).ok().json();
    assert_eq!(view["logged_in"], true);
    assert_eq!(view["api_key"], masked(&server.key));
    assert_eq!(view["api_key_source"]["kind"], "config_file");
    assert_eq!(view["api_key_source"]["profile"], "default");
    assert_eq!(
        view["api_key_source"]["path"],
        env.config_file().display().to_string().as_str()
    );
    assert_eq!(view["base_url"], server.url.as_str());
    assert_eq!(view["base_url_source"]["kind"], "config_file");
    assert_eq!(view["auth_header"], "bearer");
    assert_eq!(view["profile"], "default");
    assert_eq!(view["verified"], true);

    // The environment variable wins over the file; a key the API rejects is exit 3.
    let unknown = random_key();
    env.secret(&unknown);
    env.set("HOPX_API_KEY", &unknown);
    let run = env.hopx(&["auth", "status", "-o", "json"]).expect(3);
    let view = run.json();
    assert_eq!(view["api_key_source"]["kind"], "env");
    assert_eq!(view["api_key_source"]["variable"], "HOPX_API_KEY");
    assert_eq!(view["verified"], false);
    assert_eq!(view["error"]["code"], "authentication_error");

    // --no-verify does not ask.
    let view = env
        .hopx(&["auth", "status", "--no-verify", "-o", "json"])
        .ok()
        .json();
    assert_eq!(view["verified"], serde_json::Value::Null);

    // A .env file is a source too (below the environment variable).
    env.unset("HOPX_API_KEY");
    std::fs::write(
        env.work().join(".env"),
        format!("HOPX_API_KEY={}\n", server.other_key),
    )
    .unwrap();
    let view = env.hopx(&["auth", "status", "-o", "json"]).ok().json();
    assert_eq!(view["api_key_source"]["kind"], "dotenv");
    assert_eq!(view["api_key"], masked(&server.other_key));
}

#[test]
fn logout_removes_only_the_key() {
    let server = Server::start();
    let env = Env::for_server(&server);
    login(&env, &server);
    let view = env.hopx(&["auth", "logout", "-o", "json"]).ok().json();
    assert_eq!(view["removed"], true);
    assert_eq!(view["profile"], "default");
    let text = env.config_text();
    assert!(!text.contains(&server.key), "{text}");
    assert!(text.contains(&server.url), "the base URL stays: {text}");
    env.hopx(&["auth", "status"]).expect(3);
    // Again: nothing to do, still success.
    let view = env.hopx(&["auth", "logout", "-o", "json"]).ok().json();
    assert_eq!(view["removed"], false);
}

/// --api-key beats HOPX_API_KEY, which beats the config file; --profile beats HOPX_PROFILE,
/// which beats default_profile.
#[test]
fn precedence_of_flags_environment_and_profiles() {
    let a = random_key();
    let b = random_key();
    let c = random_key();
    let d = random_key();
    let mut env = Env::new();
    for key in [&a, &b, &c, &d] {
        env.secret(key);
    }
    std::fs::create_dir_all(env.config_file().parent().unwrap()).unwrap();
    std::fs::write(
        env.config_file(),
        format!(
            "default_profile = \"one\"\n[profiles.one]\napi_key = \"{a}\"\nbase_url = \"http://127.0.0.1:1\"\n[profiles.two]\napi_key = \"{b}\"\nbase_url = \"http://127.0.0.1:2\"\n[profiles.three]\napi_key = \"{c}\"\n"
        ),
    )
    .unwrap();
    let status = |env: &Env, extra: &[&str]| {
        let mut args = vec!["auth", "status", "--no-verify", "-o", "json"];
        args.extend_from_slice(extra);
        env.hopx(&args).ok().json()
    };
    let key_of = |view: &serde_json::Value| view["api_key"].as_str().unwrap().to_owned();

    let view = status(&env, &[]);
    assert_eq!(key_of(&view), masked(&a));
    assert_eq!(view["profile"], "one");
    assert_eq!(view["profile_source"], "file_default");
    assert_eq!(view["base_url"], "http://127.0.0.1:1");

    env.set("HOPX_PROFILE", "two");
    let view = status(&env, &[]);
    assert_eq!(key_of(&view), masked(&b));
    assert_eq!(view["profile_source"], "env");
    assert_eq!(view["base_url"], "http://127.0.0.1:2");

    let view = status(&env, &["--profile", "three"]);
    assert_eq!(key_of(&view), masked(&c));
    assert_eq!(view["profile"], "three");
    assert_eq!(view["profile_source"], "argument");
    assert_eq!(view["base_url"], "https://api.hopx.dev");

    env.set("HOPX_API_KEY", &d);
    let view = status(&env, &["--profile", "three"]);
    assert_eq!(key_of(&view), masked(&d));
    assert_eq!(view["api_key_source"]["kind"], "env");

    let view = status(&env, &["--profile", "three", "--api-key", &a]);
    assert_eq!(key_of(&view), masked(&a));
    assert_eq!(view["api_key_source"]["kind"], "argument");

    // A profile that does not exist is an error that lists the ones that do.
    env.unset("HOPX_API_KEY");
    let run = env
        .hopx(&["auth", "status", "--no-verify", "--profile", "nope"])
        .expect(2);
    assert!(run.stderr.contains("one, three, two"), "{}", run.stderr);
}

#[test]
fn status_shows_the_proxy_without_its_password() {
    let mut env = Env::new();
    env.set("HOPX_API_KEY", &random_key());
    env.set("HTTPS_PROXY", "http://me:proxy-pw-3f9a@proxy.internal:3128");
    let run = env
        .hopx(&["auth", "status", "--no-verify", "-o", "json"])
        .ok();
    let view = run.json();
    // The test environment also sets NO_PROXY, which the view lists after the proxy.
    assert!(
        view["proxy"]
            .as_str()
            .unwrap()
            .starts_with("http://****@proxy.internal:3128 (HTTPS_PROXY)"),
        "{view}"
    );
    let human = env.hopx(&["auth", "status", "--no-verify"]).ok();
    assert!(!format!("{human:?}{run:?}").contains("proxy-pw-3f9a"));
}
