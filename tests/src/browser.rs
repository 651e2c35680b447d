//! A real browser for the end-to-end tests: Debian's `chromium`, driven through its
//! `chromedriver` over WebDriver (fantoccini). Each session gets a fresh profile and no network
//! but this machine's. axe-core (vendored under `tests/vendor/axe-core`, a test tool never served
//! by Jiebang) checks pages against the WCAG 2 A and AA rules.
//!
//! Without `/usr/bin/chromedriver` the browser tests print that they were skipped — unless `CI`
//! is set, where they fail (`.ci/run` installs the packages through `scripts/test.sh`).

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::future::Future;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const AXE: &str = include_str!("../vendor/axe-core/axe.min.js");

/// A browser session on one test server.
pub struct Browser {
    pub client: Client,
    /// The server's base URL, `http://127.0.0.1:<port>`.
    pub base: String,
    js: bool,
}

struct Driver(Child, PathBuf);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

/// Whether the browser tests can run here; `false` prints why (and fails under `CI`).
pub fn available() -> bool {
    if std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("CI is set but {CHROMEDRIVER} or {CHROMIUM} is missing (apt-get install chromium chromium-driver)");
    }
    eprintln!("skipped: install Debian's chromium and chromium-driver to run the browser tests");
    false
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs `journey` in a fresh browser on the server at `base`, with JavaScript on or off. Skips
/// (returns) when no browser is installed and `CI` is unset.
pub fn with_browser<F, Fut>(base: &str, js: bool, journey: F)
where
    F: FnOnce(Browser) -> Fut,
    Fut: Future<Output = ()>,
{
    if !available() {
        return;
    }
    let port = free_port();
    let profile =
        std::env::temp_dir().join(format!("jiebang-chromium-{port}-{}", std::process::id()));
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let _driver = Driver(child, profile.clone());
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let mut args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--lang=zh-CN".into(),
            "--window-size=1280,1000".into(),
            format!("--user-data-dir={}", profile.display()),
        ];
        let mut prefs = json!({});
        if !js {
            prefs = json!({"profile.managed_default_content_settings.javascript": 2});
            args.push("--blink-settings=scriptEnabled=false".into());
        }
        let caps = json!({
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args, "prefs": prefs},
        });
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        // chromedriver may accept connections a moment before it answers them (a suite run saw
        // "connection reset by peer" on the session request once): a few tries, then fail
        let mut tries = 0;
        let client = loop {
            let session = ClientBuilder::new(connector.clone())
                .capabilities(caps.as_object().unwrap().clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await;
            match session {
                Ok(client) => break client,
                Err(e) if tries < 4 => {
                    tries += 1;
                    eprintln!("no chromium session yet (try {tries}): {e:?}");
                    tokio::time::sleep(Duration::from_millis(250 * tries)).await;
                }
                Err(e) => panic!("a chromium session: {e:?}"),
            }
        };
        let browser = Browser {
            client: client.clone(),
            base: base.to_owned(),
            js,
        };
        journey(browser).await;
        let _ = client.close().await;
    });
}

impl Browser {
    /// Opens a path of the server and waits for the page.
    pub async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// The path (and query) the browser is at.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("the current URL");
        let s = url.as_str();
        s.strip_prefix(&self.base).unwrap_or(s).to_owned()
    }

    /// The first element matching `css`, waiting up to 10 s for it.
    pub async fn find(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
        {
            Ok(e) => e,
            Err(e) => {
                let at = self.path().await;
                let source = self.client.source().await.unwrap_or_default();
                let main = source
                    .find("<main")
                    .map(|i| &source[i..])
                    .unwrap_or(&source);
                let cut = main
                    .char_indices()
                    .nth(3000)
                    .map(|(i, _)| i)
                    .unwrap_or(main.len());
                panic!("no element {css} at {at}: {e}\n{}", &main[..cut])
            }
        }
    }

    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_default()
    }

    /// The visible text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text")
    }

    /// Replaces the value of the input matching `css` with `value`, typing it.
    pub async fn fill(&self, css: &str, value: &str) {
        let e = self.find(css).await;
        e.clear().await.expect("clear");
        e.send_keys(value).await.expect("type");
    }

    /// Chooses the option with `value` in the `<select>` matching `css`.
    pub async fn choose(&self, css: &str, value: &str) {
        let e = self.find(css).await;
        e.select_by_value(value).await.expect("select");
    }

    /// Clicks the element matching `css`. When the click loads a new page (a link, or a submit
    /// button of a form htmx does not take over), waits until the new page has loaded, so that
    /// what is read next is never the old page's.
    pub async fn click(&self, css: &str) {
        let e = self.find(css).await;
        let navigates = self
            .client
            .execute(
                "var el = arguments[0];\
                 var nav = el.tagName === 'A' || (el.type === 'submit' && !(el.form && el.form.hasAttribute('hx-get')));\
                 if (nav) { document.documentElement.setAttribute('data-jb-old', '1'); }\
                 return nav;",
                vec![serde_json::to_value(&e).expect("an element reference")],
            )
            .await
            .map(|v| v == json!(true))
            // a session without JavaScript cannot mark the page: wait for the URL or content
            // the test reads next instead
            .unwrap_or(false);
        e.click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
        if navigates {
            let start = Instant::now();
            loop {
                let fresh = self
                    .client
                    .execute(
                        "return !document.documentElement.hasAttribute('data-jb-old') && document.readyState === 'complete';",
                        vec![],
                    )
                    .await
                    .unwrap_or(json!(false));
                if fresh == json!(true) {
                    break;
                }
                assert!(
                    start.elapsed() < Duration::from_secs(10),
                    "{css}: no new page after the click"
                );
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        }
    }

    /// The `value` of the input matching `css`.
    pub async fn value(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default()
    }

    /// Waits until `check` holds on the page's path, up to 10 s.
    pub async fn wait_for_path(&self, check: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let p = self.path().await;
            if check(&p) {
                return p;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "still at {p}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until nothing matches `css`, up to 10 s.
    pub async fn wait_gone(&self, css: &str) {
        let start = Instant::now();
        while !self.find_all(css).await.is_empty() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{css} is still there"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Presses Tab until the focused element matches `css` (at most `max` times); panics if it
    /// never does. What a keyboard user does to reach a control.
    pub async fn tab_to(&self, css: &str, max: usize) {
        for _ in 0..max {
            let here = self
                .client
                .execute(
                    "return document.activeElement && document.activeElement.matches(arguments[0]);",
                    vec![json!(css)],
                )
                .await
                .expect("focus check");
            if here == json!(true) {
                return;
            }
            self.client
                .active_element()
                .await
                .expect("an active element")
                .send_keys(&char::from(fantoccini::key::Key::Tab).to_string())
                .await
                .expect("Tab");
        }
        panic!("{css} is not reachable with Tab");
    }

    /// Presses Enter on the focused element.
    pub async fn enter(&self) {
        self.client
            .active_element()
            .await
            .expect("an active element")
            .send_keys(&char::from(fantoccini::key::Key::Enter).to_string())
            .await
            .expect("Enter");
    }

    /// axe-core's WCAG 2 A and AA violations on the current page: `[{id, impact, help, nodes}]`.
    pub async fn axe(&self) -> Vec<Value> {
        assert!(self.js, "axe needs JavaScript in the session");
        self.client
            .execute(&format!("{AXE}\n;return true;"), vec![])
            .await
            .expect("inject axe-core");
        let r = self
            .client
            .execute_async(
                "var done = arguments[arguments.length - 1];\
                 axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})\
                 .then(function (r) { done(r.violations.map(function (v) {\
                   return {id: v.id, impact: v.impact, help: v.help,\
                           nodes: v.nodes.map(function (n) { return n.target.join(' ') + ' ' + n.html.slice(0, 120); })}; })); })\
                 .catch(function (e) { done([{id: 'axe-error', help: String(e)}]); });",
                vec![],
            )
            .await
            .expect("run axe-core");
        r.as_array().cloned().unwrap_or_default()
    }

    /// Asserts that the page passes axe and fits a 375 px wide screen without horizontal
    /// scrolling, then saves a screenshot of it under `target/screenshots/<name>.png`.
    pub async fn check_page(&self, name: &str) {
        let violations = self.axe().await;
        assert!(
            violations.is_empty(),
            "axe-core found WCAG 2 A/AA violations on {name} ({}):\n{}",
            self.path().await,
            serde_json::to_string_pretty(&violations).unwrap()
        );
        self.screenshot(name).await;
        self.client
            .set_window_size(375, 812)
            .await
            .expect("narrow window");
        let fits = self
            .client
            .execute(
                "return [window.innerWidth, document.documentElement.scrollWidth];",
                vec![],
            )
            .await
            .expect("measure");
        let (inner, scroll) = (fits[0].as_i64().unwrap(), fits[1].as_i64().unwrap());
        assert!(inner <= 400, "the window did not narrow: {inner}px");
        if scroll > inner {
            // name what sticks out, so that the failure says where to look
            let wide = self
                .client
                .execute(
                    "var w = window.innerWidth, out = [];\
                     document.querySelectorAll('body *').forEach(function (e) {\
                       var r = e.getBoundingClientRect();\
                       var clipped = false;\
                       for (var p = e.parentElement; p && p !== document.body; p = p.parentElement) {\
                         var o = getComputedStyle(p).overflowX;\
                         if (o === 'auto' || o === 'scroll' || o === 'hidden') { clipped = p.getBoundingClientRect().right <= w + 1; break; }\
                       }\
                       if (r.right > w + 1 && !clipped && out.length < 8) {\
                         out.push(e.tagName + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '') + ' ' + Math.round(r.right));\
                       }\
                     });\
                     return out;",
                    vec![],
                )
                .await
                .unwrap_or(json!([]));
            panic!("{name} scrolls sideways at {inner}px: {scroll}px wide; sticking out: {wide}");
        }
        self.screenshot(&format!("{name}-375")).await;
        self.client
            .set_window_size(1280, 1000)
            .await
            .expect("wide window");
    }

    /// Saves a PNG of the page under `target/screenshots/`.
    pub async fn screenshot(&self, name: &str) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// Whether an alert dialog is open (a script injected into the page would open one).
    pub async fn alert_open(&self) -> bool {
        self.client.get_alert_text().await.is_ok()
    }
}
