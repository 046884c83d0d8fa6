//! Listing sandboxes: one page (`list`) or all of them, page by page (`iter`).

use std::collections::VecDeque;

use serde::Deserialize;

use super::{Sandbox, SandboxInfo};
use crate::client::Client;
use crate::error::{Error, ErrorCode, Result};
use crate::lenient;

/// The statuses `GET /v1/sandboxes?status=` accepts.
pub const SANDBOX_STATUSES: &[&str] = &["running", "stopped", "paused", "creating"];

/// The most sandboxes one page can hold (the API's maximum `limit`).
pub const MAX_PAGE_SIZE: i64 = 100;

/// A server that keeps sending empty pages with new cursors is broken, not slow.
const MAX_EMPTY_PAGES_IN_A_ROW: u32 = 100;

/// Filters for listing sandboxes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListSandboxesOptions {
    /// Only sandboxes in this status: `running`, `stopped`, `paused` or `creating`.
    pub status: Option<String>,
    /// Only sandboxes in this region.
    pub region: Option<String>,
    /// How many per page, 1 to 100 (default 100). Signed so that any number a caller passes
    /// reaches this check and gets its message.
    pub limit: Option<i64>,
}

impl ListSandboxesOptions {
    /// Checks the filters; nothing is sent when this fails.
    pub(crate) fn validate(&self) -> Result<()> {
        if let Some(status) = &self.status
            && !SANDBOX_STATUSES.contains(&status.as_str())
        {
            return Err(Error::invalid_argument(format!(
                "status {status:?} is not a sandbox status; use one of {}.",
                SANDBOX_STATUSES.join(", ")
            )));
        }
        if let Some(limit) = self.limit
            && !(1..=MAX_PAGE_SIZE).contains(&limit)
        {
            return Err(Error::invalid_argument(format!(
                "limit is {limit}, but a page holds 1 to {MAX_PAGE_SIZE} sandboxes."
            ))
            .with_hint("To go through more, use Sandbox.iter() (iter() in JavaScript too), which follows the pages for you."));
        }
        Ok(())
    }

    pub(crate) fn page_size(&self) -> i64 {
        self.limit.unwrap_or(MAX_PAGE_SIZE)
    }
}

/// `{"data": [...], "has_more": bool, "next_cursor": "..."}`. `next_cursor` is not in the
/// public spec, but the API sends it and the official SDKs page with it.
#[derive(Debug, Deserialize)]
pub(crate) struct SandboxPage {
    #[serde(deserialize_with = "lenient::list")]
    pub data: Vec<SandboxInfo>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub has_more: Option<bool>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub next_cursor: Option<String>,
}

/// Goes through every sandbox, one page request at a time, only when more are needed.
///
/// The official SDKs loop forever when a server says `has_more` without a cursor; this pager
/// stops with an error instead, and also when a server hands back the cursor it was just given.
#[derive(Debug)]
pub struct SandboxPager {
    client: Client,
    options: ListSandboxesOptions,
    buffered: VecDeque<Sandbox>,
    cursor: Option<String>,
    finished: bool,
    /// A broken page's error, reported once the sandboxes that came with it are handed out.
    deferred: Option<Error>,
    pages: u64,
}

impl SandboxPager {
    pub(crate) fn new(client: Client, options: ListSandboxesOptions) -> Result<SandboxPager> {
        options.validate()?;
        Ok(SandboxPager {
            client,
            options,
            buffered: VecDeque::new(),
            cursor: None,
            finished: false,
            deferred: None,
            pages: 0,
        })
    }

    /// The next sandbox, fetching the next page when the current one is used up; `None` at
    /// the end. A page that arrives with a broken cursor still yields its sandboxes; the error
    /// comes after them. After an error the pager is finished.
    pub async fn next(&mut self) -> Result<Option<Sandbox>> {
        if self.buffered.is_empty()
            && !self.finished
            && let Err(e) = self.fetch_page().await
        {
            self.finished = true;
            self.deferred = Some(e);
        }
        if let Some(sandbox) = self.buffered.pop_front() {
            return Ok(Some(sandbox));
        }
        match self.deferred.take() {
            Some(e) => Err(e),
            None => Ok(None),
        }
    }

    /// How many pages have been requested so far.
    pub fn pages_fetched(&self) -> u64 {
        self.pages
    }

    async fn fetch_page(&mut self) -> Result<()> {
        // A page can legitimately be empty while more follow (filters applied after paging),
        // so keep going until a sandbox arrives or the list ends, but not forever.
        for _ in 0..MAX_EMPTY_PAGES_IN_A_ROW {
            let page = self
                .client
                .list_sandbox_page(&self.options, self.cursor.as_deref())
                .await?;
            self.pages += 1;
            let has_more = page.has_more.unwrap_or(false);
            let next_cursor = page.next_cursor.filter(|c| !c.is_empty());
            for info in page.data {
                self.buffered
                    .push_back(Sandbox::from_info(self.client.clone(), info)?);
            }
            if !has_more {
                self.finished = true;
                return Ok(());
            }
            let Some(next_cursor) = next_cursor else {
                return Err(pagination_error(
                    "said more sandboxes follow (has_more) but gave no next_cursor",
                ));
            };
            if self.cursor.as_deref() == Some(next_cursor.as_str()) {
                return Err(pagination_error(
                    "returned the same next_cursor twice in a row",
                ));
            }
            self.cursor = Some(next_cursor);
            if !self.buffered.is_empty() {
                return Ok(());
            }
        }
        Err(pagination_error(&format!(
            "sent {MAX_EMPTY_PAGES_IN_A_ROW} empty pages in a row, each saying more follow,"
        )))
    }
}

fn pagination_error(what: &str) -> Error {
    Error::new(
        ErrorCode::Decode,
        format!(
            "The server {what} for GET /v1/sandboxes; stopping here instead of asking for the same page forever."
        ),
    )
    .with_hint("The sandboxes listed before this error are correct. This is a server problem; report it with the request id.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_checked() {
        let ok = ListSandboxesOptions {
            status: Some("paused".into()),
            region: Some("eu-west".into()),
            limit: Some(100),
        };
        assert!(ok.validate().is_ok());
        for bad in [
            ListSandboxesOptions {
                status: Some("Running".into()),
                ..Default::default()
            },
            ListSandboxesOptions {
                limit: Some(0),
                ..Default::default()
            },
            ListSandboxesOptions {
                limit: Some(101),
                ..Default::default()
            },
        ] {
            assert_eq!(
                bad.validate().unwrap_err().code(),
                ErrorCode::InvalidArgument
            );
        }
    }

    #[test]
    fn page_shape() {
        let page: SandboxPage = serde_json::from_str(
            r#"{"object":"list","data":[{"id":"a","status":"running"}],"has_more":true,"next_cursor":"c1"}"#,
        )
        .unwrap();
        assert_eq!(page.data.len(), 1);
        assert_eq!(page.has_more, Some(true));
        assert_eq!(page.next_cursor.as_deref(), Some("c1"));
        assert!(serde_json::from_str::<SandboxPage>(r#"{"sandboxes":[]}"#).is_err());
    }
}
