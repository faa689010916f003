//! `weight be/srv N[%]`: `set server B/S weight N[%]`. HAProxy validates the value (range, static
//! algorithms); we only catch what is clearly not a weight so the message names our syntax.

use super::admin::{self, Shown};
use super::Ctx;
use crate::args::WeightArgs;
use crate::error::CtlError;

fn valid(w: &str) -> bool {
    let digits = w.strip_suffix('%').unwrap_or(w);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

pub fn run(ctx: &Ctx, args: &WeightArgs) -> Result<u8, CtlError> {
    if !valid(&args.weight) {
        return Err(CtlError::Usage(format!(
            "`{}`: expected a weight 0-256 or a percentage of the initial weight such as 50%",
            args.weight
        )));
    }
    let command = |b: &str, s: &str| format!("set server {b}/{s} weight {}", args.weight);
    let plans = admin::plan(
        &ctx.instances()?,
        std::slice::from_ref(&args.server),
        &[],
        &command("B", "S"),
    )?;
    let (code, _) = admin::apply(&plans, Shown::Weight, command)?;
    Ok(code)
}

#[cfg(test)]
mod tests {
    #[test]
    fn weights_are_numbers_or_percentages() {
        assert!(super::valid("0") && super::valid("50%") && super::valid("256"));
        assert!(!super::valid("%") && !super::valid("-1") && !super::valid("5x"));
    }
}
