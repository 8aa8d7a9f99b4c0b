//! `serin lint -f FILE...`: reads every YAML document of every file, checks
//! its structure and every validation rule, and prints each error as
//! `FILE: KIND/NAME: PATH: RULE`. Templates in any of the files count as
//! present for the Rollouts' references. A Rollout that passes validation
//! is then asked what its routers cannot express
//! (`serin_traffic::spec_check`, the check the routers make before they
//! write), so a route shape NGINX, Gateway API or Istio would refuse fails
//! here with the step's field path. Exits 1 when any error is found.

use std::path::PathBuf;
use std::process::ExitCode;

use serin_api::document::{self, Document};
use serin_api::validate::{self, Context};

/// Arguments of `serin lint`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files to check (`-` reads standard input).
    #[arg(short = 'f', long = "filename", value_name = "FILE", required = true, num_args = 1..)]
    files: Vec<PathBuf>,
}

/// One file and what came of reading it.
struct Checked {
    /// The name printed before each line.
    name: String,
    /// Lines of errors found before validation (unreadable file, YAML, structure).
    errors: Vec<String>,
    /// The typed documents, with their index in the file.
    documents: Vec<(usize, Document)>,
    /// How many non-empty documents the file holds.
    count: usize,
}

/// Checks the files and prints the result.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let (report, _) = check(&args.files);
    let mut failed = false;
    for (name, count, lines) in report {
        if lines.is_empty() {
            println!(
                "{name}: ok ({count} document{})",
                if count == 1 { "" } else { "s" }
            );
        } else {
            failed = true;
            for line in lines {
                println!("{name}: {line}");
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// One file's name, its number of documents and its error lines.
pub type FileReport = (String, usize, Vec<String>);

/// Reads and validates every file (`serin up` checks the same way). Returns
/// each file's report and every typed document of every file.
pub fn check(files: &[PathBuf]) -> (Vec<FileReport>, Vec<Document>) {
    let checked: Vec<Checked> = files.iter().map(read).collect();
    let all: Vec<Document> = checked
        .iter()
        .flat_map(|c| c.documents.iter().map(|(_, d)| d.clone()))
        .collect();
    let context = Context::of(&all);
    let report = checked
        .iter()
        .map(|file| {
            let mut lines = file.errors.clone();
            for (index, doc) in &file.documents {
                let label = doc.label(*index);
                let errors = validate::validate_document(*index, doc, &context);
                let valid = errors.is_empty();
                lines.extend(errors.iter().map(|e| format!("{label}: {e}")));
                if let (true, Document::Rollout(rollout)) = (valid, doc) {
                    let refused = serin_traffic::spec_check::check(&rollout.spec);
                    lines.extend(refused.iter().map(|r| format!("{label}: {r}")));
                }
            }
            (file.name.clone(), file.count, lines)
        })
        .collect();
    (report, all)
}

/// Reads and parses one file; never fails, errors are recorded.
fn read(path: &PathBuf) -> Checked {
    let name = path.display().to_string();
    let text = if name == "-" {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(path)
    };
    let mut checked = Checked {
        name,
        errors: Vec::new(),
        documents: Vec::new(),
        count: 0,
    };
    let text = match text {
        Ok(text) => text,
        Err(e) => {
            checked.errors.push(format!("cannot be read: {e}"));
            return checked;
        }
    };
    match document::parse_each(&text) {
        Err(e) => checked.errors.push(e.to_string()),
        Ok(each) => {
            checked.count = each.len();
            for (index, result) in each.into_iter().enumerate() {
                match result {
                    Ok(doc) => checked.documents.push((index, doc)),
                    Err(e) => checked.errors.push(e.to_string()),
                }
            }
        }
    }
    checked
}
