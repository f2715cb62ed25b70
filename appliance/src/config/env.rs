//! Environment overrides for the configuration: `VENUEBOX_<SECTION>_<FIELD>=value` sets
//! `[section] field`, with the value read as the type of the built-in default.

use super::{Config, ConfigError, ENV_PREFIX};

/// Variables under the prefix that are not configuration fields (credentials and the like,
/// read by the subsystems that own them).
pub const RESERVED_PREFIXES: &[&str] = &["VENUEBOX_R2_", "VENUEBOX_ADMIN_"];

/// Applies every `VENUEBOX_*` variable of `env` to `table`.
pub fn apply(table: &mut toml::Table, env: impl IntoIterator<Item = (String, String)>) -> Result<(), ConfigError> {
    let defaults = toml::Table::try_from(Config::default()).expect("defaults serialise");
    for (var, value) in env {
        let Some(rest) = var.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        if RESERVED_PREFIXES.iter().any(|p| var.starts_with(p)) {
            continue;
        }
        let (section, field) = split_name(&defaults, rest).ok_or_else(|| ConfigError::Env {
            var: var.clone(),
            reason: "names no configuration field (see `venuebox --print-config`)".into(),
        })?;
        let typed = typed_value(&defaults[&section][&field], &value).map_err(|reason| ConfigError::Env {
            var: var.clone(),
            reason,
        })?;
        let entry = table
            .entry(section)
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let toml::Value::Table(section_table) = entry else {
            return Err(ConfigError::Env {
                var,
                reason: "the config file has this section as a plain value".into(),
            });
        };
        section_table.insert(field, typed);
    }
    Ok(())
}

/// Finds `(section, field)` such that `SECTION_FIELD` (upper case) equals `rest`.
fn split_name(defaults: &toml::Table, rest: &str) -> Option<(String, String)> {
    defaults.iter().find_map(|(section, fields)| {
        let field_part = rest.strip_prefix(&section.to_uppercase())?.strip_prefix('_')?;
        let fields = fields.as_table()?;
        let field = fields.keys().find(|k| k.to_uppercase() == field_part)?;
        Some((section.clone(), field.clone()))
    })
}

/// Reads `raw` as the same TOML type as `default`.
fn typed_value(default: &toml::Value, raw: &str) -> Result<toml::Value, String> {
    let raw = raw.trim();
    Ok(match default {
        toml::Value::Integer(_) => toml::Value::Integer(raw.parse().map_err(|_| format!("{raw:?} is not an integer"))?),
        toml::Value::Float(_) => toml::Value::Float(raw.parse().map_err(|_| format!("{raw:?} is not a number"))?),
        toml::Value::Boolean(_) => toml::Value::Boolean(raw.parse().map_err(|_| format!("{raw:?} is not true/false"))?),
        _ => toml::Value::String(raw.to_owned()),
    })
}
