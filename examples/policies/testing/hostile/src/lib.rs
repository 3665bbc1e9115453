//! A plugin that misbehaves on request, to prove the sandbox holds (fgc's own tests use
//! it): `config = { attack = "loop" }` spins forever; `"memory"` allocates without end;
//! `"file"` reads `/etc/passwd`; `"env"` reads `HOME`; `"clock"` reads the time; `"panic"`
//! panics; `"error"` returns an error; anything else behaves.

use fg_policy_sdk::*;

struct Hostile;

impl Policy for Hostile {
    fn metadata() -> Metadata {
        Metadata::new("hostile", env!("CARGO_PKG_VERSION")).rule("attack", "misbehaves as configured")
    }

    fn evaluate(ir: &Ir, config: &Config) -> Result<Vec<Finding>, String> {
        let attack: String = config.get_or("attack", String::new())?;
        match attack.as_str() {
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(Vec::with_capacity(1 << 20));
                    std::hint::black_box(&hoard);
                }
            }
            "file" => {
                let text = std::fs::read_to_string("/etc/passwd").map_err(|e| e.to_string())?;
                Ok(vec![Finding::error("attack", format!("read {} bytes", text.len()))])
            }
            "env" => Ok(vec![Finding::error("attack", format!("HOME is {:?}", std::env::var("HOME")))]),
            "clock" => Ok(vec![Finding::error("attack", format!("it is {:?}", std::time::SystemTime::now()))]),
            "panic" => panic!("the hostile plugin panics on purpose"),
            "error" => Err("the hostile plugin refuses".into()),
            _ => Ok(vec![Finding::warning("attack", format!("{} resources, behaving", ir.resources.len()))]),
        }
    }
}

export_policy!(Hostile);
