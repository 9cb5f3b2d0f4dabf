//! `virt-native`: converts between native guest configurations (VMware VMX,
//! ...) and libvirt domain XML without a hypervisor connection.

use std::io::Read;
use std::process::ExitCode;

use virt::native::{self, Format, OfflineOptions};

const USAGE: &str = "usage: virt-native from FORMAT [--datacenter-path P] FILE
       virt-native to FORMAT [--virtual-hw-version N] [--datacenter-path P] FILE
FORMAT: vmware-vmx, xen-xm, xen-xl, xen-sxpr; FILE '-' reads standard input";

enum Direction {
    From,
    To,
}

struct Args {
    direction: Direction,
    format: String,
    file: String,
    opts: OfflineOptions,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let direction = match args.next().as_deref() {
        Some("from") => Direction::From,
        Some("to") => Direction::To,
        Some("-h" | "--help") | None => return Err(USAGE.to_string()),
        Some(other) => return Err(format!("unknown direction '{other}'\n{USAGE}")),
    };
    let format = args.next().ok_or_else(|| USAGE.to_string())?;
    let mut opts = OfflineOptions::default();
    let mut file = None;
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or(format!("{name} needs a value"))
        };
        match name.as_str() {
            "--virtual-hw-version" if matches!(direction, Direction::To) => {
                let v = value()?;
                let n = v
                    .parse()
                    .map_err(|_| format!("--virtual-hw-version: '{v}' is not a number"))?;
                opts.virtual_hw_version = Some(n);
            }
            "--datacenter-path" => opts.datacenter_path = Some(value()?),
            _ if name.starts_with("--") => return Err(format!("unknown option '{name}'\n{USAGE}")),
            _ if file.is_none() => file = Some(arg),
            _ => return Err(format!("unexpected argument '{arg}'\n{USAGE}")),
        }
    }
    let file = file.ok_or_else(|| USAGE.to_string())?;
    Ok(Args {
        direction,
        format,
        file,
        opts,
    })
}

fn read_input(file: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    let read = if file == "-" {
        std::io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::File::open(file).and_then(|mut f| f.read_to_end(&mut bytes).map(|_| ()))
    };
    read.map_err(|e| format!("cannot read '{file}': {e}"))?;
    Ok(bytes)
}

fn run(args: Args) -> Result<String, String> {
    let format = Format::from_name(&args.format).map_err(|e| e.message)?;
    let input = read_input(&args.file)?;
    let converted = match args.direction {
        Direction::From => native::xml_from_native_offline(format, &input, &args.opts),
        Direction::To => {
            let xml = String::from_utf8(input).map_err(|_| format!("'{}' is not valid UTF-8", args.file))?;
            native::xml_to_native_offline(format, &xml, &args.opts)
        }
    };
    converted.map_err(|e| e.message)
}

fn main() -> ExitCode {
    let result = parse_args(std::env::args().skip(1)).and_then(run);
    match result {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
