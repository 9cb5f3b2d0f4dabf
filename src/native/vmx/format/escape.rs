//! VMX's hex escapes: a special character becomes the escape character and
//! two lowercase hex digits (`"` → `|22`); the escape character itself is
//! always escaped.

/// `|` escapes, as in `annotation` and `displayName` (`"` and `|`).
pub fn pipe(text: &str) -> String {
    hex(text, '|', &['"'])
}

/// `%` escapes, as in `displayName` after [`pipe`] (`/`, `\` and `%`).
pub fn percent(text: &str) -> String {
    hex(text, '%', &['/', '\\'])
}

fn hex(text: &str, escape: char, special: &[char]) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == escape || special.contains(&c) {
            // Both escapes and all their specials are ASCII.
            out.push_str(&format!("{escape}{:02x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specials_and_the_escape_itself_are_escaped() {
        assert_eq!(pipe(r#"a "b" |c|"#), "a |22b|22 |7cc|7c");
        assert_eq!(percent("a/b\\c%d|e"), "a%2fb%5cc%25d|e");
        assert_eq!(percent(&pipe("x/|")), "x%2f|7c");
        assert_eq!(pipe("plain"), "plain");
    }
}
