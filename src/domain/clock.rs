//! `<clock>` and its timers.

use super::util::*;
use crate::error::Result;
use crate::xml::dom::Element;
use crate::xml::Writer;

const TIMER_NAMES: &[&str] = &[
    "platform",
    "pit",
    "rtc",
    "hpet",
    "tsc",
    "kvmclock",
    "hypervclock",
    "armvtimer",
];

/// `offset` and the data that goes with it.
#[derive(Debug, Clone, PartialEq)]
pub enum Offset {
    /// `offset='utc'`, with `adjustment='reset'` when `true`.
    Utc(bool),
    /// `offset='localtime'`, with `adjustment='reset'` when `true`.
    Localtime(bool),
    /// `offset='variable'`: seconds and `basis` (`utc`/`localtime`).
    Variable {
        /// `adjustment` in seconds.
        adjustment: i64,
        /// `basis`.
        basis: String,
    },
    /// `offset='timezone' timezone=...`.
    Timezone(String),
    /// `offset='absolute' start=...` (epoch seconds).
    Absolute(u64),
}

impl Default for Offset {
    fn default() -> Self {
        Offset::Utc(false)
    }
}

/// `<timer>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timer {
    /// `name`.
    pub name: String,
    /// `present` yes/no.
    pub present: Option<bool>,
    /// `tickpolicy`.
    pub tickpolicy: Option<String>,
    /// `track`.
    pub track: Option<String>,
    /// `frequency` (tsc).
    pub frequency: Option<u64>,
    /// `mode` (tsc).
    pub mode: Option<String>,
    /// `<catchup threshold slew limit>`.
    pub catchup: [Option<u32>; 3],
}

/// `<clock>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Clock {
    /// The offset.
    pub offset: Offset,
    /// Timers in document order.
    pub timers: Vec<Timer>,
}

fn parse_timer(el: &Element) -> Result<Timer> {
    let name = prop_enum_str(el, "name", TIMER_NAMES, true)?.unwrap_or_default();
    let present = prop_yes_no(el, "present", false)?;
    let tickpolicy = prop_enum_str(el, "tickpolicy", &["delay", "catchup", "merge", "discard"], false)?
        .map(str::to_string);
    let track =
        prop_enum_str(el, "track", &["boot", "guest", "wall", "realtime"], false)?.map(str::to_string);
    let frequency = prop_u64(el, "frequency", false, false)?.filter(|f| *f != 0);
    let mode = prop_enum_str(
        el,
        "mode",
        &["auto", "native", "emulate", "paravirt", "smpsafe"],
        false,
    )?
    .map(str::to_string);
    let mut catchup = [None; 3];
    if let Some(c) = el.child("catchup") {
        for (i, a) in ["threshold", "slew", "limit"].iter().enumerate() {
            catchup[i] = prop_u32(c, a, false, false)?.filter(|v| *v != 0);
        }
        if catchup.iter().any(Option::is_some) && tickpolicy.as_deref() != Some("catchup") {
            return Err(xml_error(
                "setting of timer catchup policies is only supported with tickpolicy='catchup'",
            ));
        }
    }
    Ok(Timer {
        name: name.to_string(),
        present,
        tickpolicy,
        track,
        frequency,
        mode,
        catchup,
    })
}

/// Reads `<clock>` (absent: UTC).
pub fn parse(el: Option<&Element>) -> Result<Clock> {
    let Some(el) = el else {
        return Ok(Clock::default());
    };
    let offset_name = el.attr("offset").filter(|s| !s.is_empty()).unwrap_or("utc");
    let adjustment = el.attr("adjustment").filter(|s| !s.is_empty());
    let offset = match offset_name {
        "utc" | "localtime" => match adjustment {
            Some("reset") => {
                if offset_name == "utc" {
                    Offset::Utc(true)
                } else {
                    Offset::Localtime(true)
                }
            }
            Some(a) => {
                let adj = parse_ll(a).ok_or_else(|| xml_error(format!("unknown clock adjustment '{a}'")))?;
                Offset::Variable {
                    adjustment: adj,
                    basis: offset_name.to_string(),
                }
            }
            None => {
                if offset_name == "utc" {
                    Offset::Utc(false)
                } else {
                    Offset::Localtime(false)
                }
            }
        },
        "variable" => {
            let adj = el.attr("adjustment").and_then(parse_ll).unwrap_or(0);
            let basis = match el.attr("basis").filter(|s| !s.is_empty()) {
                None => "utc",
                Some(b @ ("utc" | "localtime")) => b,
                Some(b) => return Err(unsupported(format!("unknown clock basis '{b}'"))),
            };
            Offset::Variable {
                adjustment: adj,
                basis: basis.to_string(),
            }
        }
        "timezone" => Offset::Timezone(
            el.attr("timezone")
                .filter(|s| !s.is_empty())
                .ok_or_else(|| internal("missing 'timezone' attribute for clock with offset='timezone'"))?
                .to_string(),
        ),
        "absolute" => {
            let start = el
                .attr("start")
                .and_then(parse_ullp)
                .ok_or_else(|| internal("missing 'start' attribute for clock with offset='absolute'"))?;
            Offset::Absolute(start)
        }
        other => return Err(unsupported(format!("unknown clock offset '{other}'"))),
    };
    let mut timers = Vec::new();
    for t in el.children_named("timer") {
        timers.push(parse_timer(t)?);
    }
    Ok(Clock { offset, timers })
}

/// libvirt's checks of a clock that need the whole definition parsed.
pub fn validate(c: &Clock) -> Result<()> {
    for t in &c.timers {
        if t.track.is_some() && t.name != "rtc" && t.name != "platform" {
            return Err(unsupported(format!(
                "timer {} doesn't support setting of timer track",
                t.name
            )));
        }
        if t.name != "tsc" {
            if t.frequency.is_some() {
                return Err(unsupported(format!(
                    "timer {} doesn't support setting of timer frequency",
                    t.name
                )));
            }
            if t.mode.is_some() {
                return Err(unsupported(format!(
                    "timer {} doesn't support setting of timer mode",
                    t.name
                )));
            }
        }
    }
    Ok(())
}

/// Writes `<clock>`.
pub fn format(c: &Clock, w: &mut Writer) {
    let adjustment;
    let start;
    let attrs: Vec<(&str, &str)> = match &c.offset {
        Offset::Utc(reset) | Offset::Localtime(reset) => {
            let name = if matches!(c.offset, Offset::Utc(_)) {
                "utc"
            } else {
                "localtime"
            };
            let mut a = vec![("offset", name)];
            if *reset {
                a.push(("adjustment", "reset"));
            }
            a
        }
        Offset::Variable {
            adjustment: adj,
            basis,
        } => {
            adjustment = adj.to_string();
            vec![
                ("offset", "variable"),
                ("adjustment", adjustment.as_str()),
                ("basis", basis.as_str()),
            ]
        }
        Offset::Timezone(tz) => vec![("offset", "timezone"), ("timezone", tz.as_str())],
        Offset::Absolute(s) => {
            start = s.to_string();
            vec![("offset", "absolute"), ("start", start.as_str())]
        }
    };
    if c.timers.is_empty() {
        w.empty("clock", &attrs);
        return;
    }
    w.open("clock", &attrs);
    for t in &c.timers {
        let freq = t.frequency.map(|f| f.to_string());
        let mut a = vec![("name", t.name.as_str())];
        if let Some(p) = t.present {
            a.push(("present", if p { "yes" } else { "no" }));
        }
        if let Some(tp) = &t.tickpolicy {
            a.push(("tickpolicy", tp));
        }
        if let Some(tr) = &t.track {
            if t.name == "rtc" || t.name == "platform" {
                a.push(("track", tr));
            }
        }
        if t.name == "tsc" {
            if let Some(f) = &freq {
                a.push(("frequency", f));
            }
            if let Some(m) = &t.mode {
                a.push(("mode", m));
            }
        }
        let cu: Vec<(String, String)> = ["threshold", "slew", "limit"]
            .iter()
            .zip(t.catchup.iter())
            .filter_map(|(n, v)| v.map(|v| (n.to_string(), v.to_string())))
            .collect();
        if cu.is_empty() {
            w.empty("timer", &a);
        } else {
            w.open("timer", &a);
            let ca: Vec<(&str, &str)> = cu.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            w.empty("catchup", &ca);
            w.close("timer");
        }
    }
    w.close("clock");
}
