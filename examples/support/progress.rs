//! Progress of the examples' long loops on stderr: an `indicatif` bar on a terminal; in a log
//! (stderr redirected to a file or a pipe) no bar, but one plain line every few seconds and one
//! at the end, so the log reads line by line.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Seconds between two plain lines in a log.
const LOG_EVERY: Duration = Duration::from_secs(5);

/// The progress of `len` units of work.
pub struct Progress {
    bar: ProgressBar,
    what: &'static str,
    /// `Some(time of the last plain line)` when stderr is not a terminal.
    log: Option<Instant>,
    start: Instant,
}

impl Progress {
    /// Progress of `what` (a word or two: "training") over `len` units.
    pub fn new(what: &'static str, len: u64) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let style = ProgressStyle::with_template(
            "{prefix} [{wide_bar}] {pos}/{len} {msg} ({elapsed}, about {eta} left)",
        )
        .expect("a valid template")
        .progress_chars("=> ");
        // On a terminal the bar redraws itself in place; elsewhere indicatif draws nothing and
        // the plain lines below take over.
        let target = if terminal {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(len), target)
            .with_style(style)
            .with_prefix(what);
        let start = Instant::now();
        Self {
            bar,
            what,
            log: (!terminal).then_some(start),
            start,
        }
    }

    /// Sets the text after the counts (say, the running loss).
    pub fn set_message(&self, message: String) {
        self.bar.set_message(message);
    }

    /// Counts `n` more units of work done.
    pub fn inc(&mut self, n: u64) {
        self.bar.inc(n);
        if let Some(last) = self.log {
            if last.elapsed() >= LOG_EVERY {
                self.print_line();
                self.log = Some(Instant::now());
            }
        }
    }

    /// Ends the progress with one plain line, on a terminal (in place of the bar) as in a log.
    pub fn finish(self) {
        self.bar.finish_and_clear();
        self.print_line();
    }

    fn print_line(&self) {
        eprintln!(
            "{}: {}/{} {}  {:.1} s",
            self.what,
            self.bar.position(),
            self.bar.length().unwrap_or(0),
            self.bar.message(),
            self.start.elapsed().as_secs_f64()
        );
    }
}
