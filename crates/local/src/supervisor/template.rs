//! The command template: `{port}`, `{version}` and `{replica}` replaced in
//! each argument, in environment values and in the working directory.

use std::collections::BTreeMap;

/// The values of the placeholders for one replica.
#[derive(Clone, Copy, Debug)]
pub struct Vars<'a> {
    /// The replica's port.
    pub port: u16,
    /// The version it runs.
    pub version: &'a str,
    /// The replica's index within its version, from 0.
    pub replica: u32,
}

impl Vars<'_> {
    /// `text` with every placeholder replaced.
    pub fn render(&self, text: &str) -> String {
        text.replace("{port}", &self.port.to_string())
            .replace("{version}", self.version)
            .replace("{replica}", &self.replica.to_string())
    }

    /// Every element of `args` rendered.
    pub fn render_all(&self, args: &[String]) -> Vec<String> {
        args.iter().map(|a| self.render(a)).collect()
    }

    /// Every value of `env` rendered (names are kept as they are).
    pub fn render_env(&self, env: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        env.iter()
            .map(|(k, v)| (k.clone(), self.render(v)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_replaced_in_arguments_and_env_values() {
        let vars = Vars {
            port: 9001,
            version: "v2",
            replica: 1,
        };
        let args = vec![
            "serin".to_owned(),
            "--port={port}".to_owned(),
            "{version}/{replica}/{version}".to_owned(),
            "{other}".to_owned(),
        ];
        assert_eq!(
            vars.render_all(&args),
            ["serin", "--port=9001", "v2/1/v2", "{other}"]
        );
        let env = BTreeMap::from([("NAME_{port}".to_owned(), "r{replica}".to_owned())]);
        assert_eq!(
            vars.render_env(&env),
            BTreeMap::from([("NAME_{port}".to_owned(), "r1".to_owned())])
        );
    }
}
