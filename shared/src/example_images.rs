//! The example images the page offers to try with one click (`static/examples/examples.json`),
//! each with where it comes from and under which licence.

use serde::{Deserialize, Serialize};

/// One example image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExampleImage {
    /// File name inside `static/examples/`.
    pub file: String,
    /// The task whose section offers it (`classify`, `captcha`, `faces`).
    pub task: String,
    /// The button's text (`a cat`).
    pub name: String,
    /// What the picture shows, for people who cannot see it.
    pub alt: String,
    /// Where it comes from.
    pub source: String,
    /// Its licence.
    pub licence: String,
    /// SHA-256 of the file (hex): the cache key, as for models.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
}

impl ExampleImage {
    /// The file's URL relative to the page, versioned by its hash (cached like the models).
    pub fn url(&self) -> String {
        format!("examples/{}?v={}", self.file, &self.sha256[..self.sha256.len().min(16)])
    }
}

/// Every example image, in the order the page offers them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExampleList {
    /// The examples.
    pub examples: Vec<ExampleImage>,
}

impl ExampleList {
    /// Parses the list's JSON text.
    pub fn parse(json: &str) -> Result<ExampleList, String> {
        serde_json::from_str(json).map_err(|e| format!("the example list cannot be read: {e}"))
    }

    /// The examples a task's section offers.
    pub fn for_task<'a>(&'a self, task: &'a str) -> impl Iterator<Item = &'a ExampleImage> + 'a {
        self.examples.iter().filter(move |e| e.task == task)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_are_listed_per_task_with_versioned_urls() {
        let list = ExampleList::parse(
            r#"{"examples":[
                {"file":"cat.jpg","task":"classify","name":"a cat","alt":"a cat","source":"s","licence":"CC0","sha256":"00112233445566778899","bytes":9},
                {"file":"c.png","task":"captcha","name":"a captcha","alt":"a captcha","source":"s","licence":"l","sha256":"ff","bytes":1}]}"#,
        )
        .unwrap();
        let classify: Vec<_> = list.for_task("classify").map(|e| e.file.as_str()).collect();
        assert_eq!(classify, ["cat.jpg"]);
        assert_eq!(list.examples[0].url(), "examples/cat.jpg?v=0011223344556677");
        assert_eq!(list.examples[1].url(), "examples/c.png?v=ff");
        assert!(ExampleList::parse(r#"{"examples":[{"file":"x"}]}"#).unwrap_err().contains("example list"));
    }
}
