//! The run seed: parsing it from the command line, drawing a fresh one, and printing it so that
//! what is printed pastes back unchanged.

use std::fmt;
use std::str::FromStr;

/// A 64-bit seed that, with the test ids and shard count, fixes the whole plan of a run.
///
/// Accepted forms: decimal (`8417923`) or hexadecimal with a `0x`/`0X` prefix (`0x80728b`);
/// `_` separators are allowed. Printed in decimal, which [`Seed::from_str`] reads back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub(crate) struct Seed(pub(crate) u64);

/// Why a `--seed` value was rejected; the message names the value and the accepted forms.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "invalid seed `{input}`: {reason}; give a whole number from 0 to 18446744073709551615, in decimal or as 0x-prefixed hex"
)]
pub(crate) struct SeedError {
    /// The text as the user gave it.
    pub(crate) input: String,
    /// What is wrong with it.
    pub(crate) reason: &'static str,
}

impl Seed {
    /// Draws a seed from the operating system's random source (not used for ordering itself:
    /// the order is a keyed hash of this value, see `plan`).
    pub(crate) fn random() -> Seed {
        Seed(rand::random::<u64>())
    }
}

impl FromStr for Seed {
    type Err = SeedError;

    fn from_str(s: &str) -> Result<Seed, SeedError> {
        let err = |reason| SeedError {
            input: s.to_string(),
            reason,
        };
        let t = s.trim().replace('_', "");
        if t.is_empty() {
            return Err(err("it is empty"));
        }
        if t.starts_with('-') {
            return Err(err("it is negative"));
        }
        // One rule with `--partition`: digits only, no sign.
        if t.starts_with('+') {
            return Err(err("a leading `+` is not accepted"));
        }
        let (digits, radix) = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            Some(hex) => (hex, 16),
            None => (t.as_str(), 10),
        };
        if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
            return Err(err("it is not a number"));
        }
        u64::from_str_radix(digits, radix)
            .map(Seed)
            .map_err(|_| err("it is larger than 2^64-1"))
    }
}

impl fmt::Display for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_decimal_and_hex() {
        assert_eq!("8417923".parse(), Ok(Seed(8417923)));
        assert_eq!("0x80728B".parse(), Ok(Seed(0x80728b)));
        assert_eq!("0X10".parse(), Ok(Seed(16)));
        assert_eq!("18446744073709551615".parse(), Ok(Seed(u64::MAX)));
        assert_eq!("1_000".parse(), Ok(Seed(1000)));
    }

    #[test]
    fn rejects_bad_input_with_reason() {
        for (input, reason) in [
            ("-1", "it is negative"),
            ("18446744073709551616", "it is larger than 2^64-1"),
            ("abc", "it is not a number"),
            ("0x", "it is not a number"),
            ("", "it is empty"),
            ("1.5", "it is not a number"),
            ("+42", "a leading `+` is not accepted"),
            ("+0x10", "a leading `+` is not accepted"),
        ] {
            let e = input.parse::<Seed>().unwrap_err();
            assert_eq!(e.reason, reason, "{input}");
            assert!(e.to_string().contains(input));
        }
    }

    #[test]
    fn display_pastes_back() {
        for v in [0, 1, 8417923, u64::MAX] {
            let s = Seed(v).to_string();
            assert_eq!(s.parse::<Seed>(), Ok(Seed(v)));
        }
    }
}
