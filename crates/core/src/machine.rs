//! What this machine has to run models with (RAM, GPU memory), for the hints next to downloads
//! and the quantization recommended for it.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;
use ts_rs::TS;

/// Physical memory in bytes, or `None` when the system will not say.
pub fn total_memory() -> Option<u64> {
    // SAFETY: `sysinfo` only fills the zeroed struct it is given.
    let mut info: libc::sysinfo = unsafe { std::mem::zeroed() };
    if unsafe { libc::sysinfo(&mut info) } != 0 {
        return None;
    }
    (info.totalram as u64).checked_mul(u64::from(info.mem_unit.max(1)))
}

/// Who made a graphics card: the way its memory was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum GpuVendor {
    Nvidia,
    Amd,
}

/// One graphics card with memory of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Gpu {
    pub vendor: GpuVendor,
    pub name: String,
    /// Its own memory (VRAM) in bytes.
    #[ts(type = "number")]
    pub memory: u64,
}

/// The memory a model can be loaded into on this machine.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MachineProfile {
    /// System memory in bytes, if the system says.
    #[ts(type = "number | null")]
    pub ram: Option<u64>,
    /// Graphics cards with memory of their own (an APU's small carve-out is not one).
    pub gpus: Vec<Gpu>,
    /// The GPU works in system memory (Apple silicon, an AMD APU): `ram` is what it can use.
    pub unified: bool,
}

/// Runs a program with arguments and returns what it printed, or `None` if it is missing,
/// fails, or takes too long.
pub type CommandRunner<'a> = &'a dyn Fn(&str, &[&str]) -> Option<String>;

/// Where a profile is read from; tests give their own.
pub struct ProfileSources<'a> {
    /// The root that holds `class/drm` (`/sys` on Linux).
    pub sys: PathBuf,
    pub run: CommandRunner<'a>,
    pub ram: Option<u64>,
    /// The platform itself shares memory between CPU and GPU (Apple silicon).
    pub platform_unified: bool,
}

/// How long `nvidia-smi` may take: a wedged driver can make it hang for minutes.
const NVIDIA_SMI_TIMEOUT: Duration = Duration::from_secs(3);

/// Below this, an AMD device's VRAM is an APU's carve-out from system memory, not a card's own.
const APU_CARVE_OUT: u64 = 2 << 30;

impl MachineProfile {
    /// This machine's profile. Blocking: it may run `nvidia-smi` (for at most a few seconds).
    pub fn detect() -> MachineProfile {
        MachineProfile::from_sources(&ProfileSources {
            sys: PathBuf::from("/sys"),
            run: &|program, args| run_with_timeout(program, args, NVIDIA_SMI_TIMEOUT),
            ram: total_memory(),
            platform_unified: cfg!(all(target_os = "macos", target_arch = "aarch64")),
        })
    }

    pub fn from_sources(sources: &ProfileSources) -> MachineProfile {
        let mut gpus = (sources.run)(
            "nvidia-smi",
            &[
                "--query-gpu=memory.total,name",
                "--format=csv,noheader,nounits",
            ],
        )
        .map(|out| parse_nvidia_smi(&out))
        .unwrap_or_default();
        let amd = amd_devices(&sources.sys);
        let apu = amd.iter().any(|d| d.is_apu());
        gpus.extend(amd.into_iter().filter(|d| !d.is_apu()).map(|d| Gpu {
            vendor: GpuVendor::Amd,
            name: d.name,
            memory: d.vram,
        }));
        MachineProfile {
            ram: sources.ram,
            unified: gpus.is_empty() && (sources.platform_unified || apu),
            gpus,
        }
    }
}

/// `nvidia-smi --query-gpu=memory.total,name --format=csv,noheader,nounits`: one line per
/// card, `24576, NVIDIA GeForce RTX 4090`, the memory in MiB.
pub fn parse_nvidia_smi(output: &str) -> Vec<Gpu> {
    output
        .lines()
        .filter_map(|line| {
            let (mib, name) = line.split_once(',')?;
            let mib: u64 = mib.trim().parse().ok()?;
            Some(Gpu {
                vendor: GpuVendor::Nvidia,
                name: name.trim().to_owned(),
                memory: mib << 20,
            })
        })
        .collect()
}

struct AmdDevice {
    name: String,
    vram: u64,
    visible_vram: Option<u64>,
}

impl AmdDevice {
    /// A small VRAM the CPU sees whole is an APU's carve-out; a card without resizable BAR
    /// shows only 256 MB of its (larger) VRAM to the CPU.
    fn is_apu(&self) -> bool {
        self.vram <= APU_CARVE_OUT && self.visible_vram.is_none_or(|v| v >= self.vram)
    }
}

/// The amdgpu devices under `sys/class/drm/card<N>/device`, with their VRAM.
fn amd_devices(sys: &Path) -> Vec<AmdDevice> {
    let Ok(entries) = std::fs::read_dir(sys.join("class/drm")) else {
        return Vec::new();
    };
    let mut cards: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        // `card0-DP-1` and the like are connectors of a card, not cards.
        .filter(|n| {
            n.strip_prefix("card")
                .is_some_and(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect();
    cards.sort();
    let read_number =
        |path: PathBuf| -> Option<u64> { std::fs::read_to_string(path).ok()?.trim().parse().ok() };
    cards
        .into_iter()
        .filter_map(|card| {
            let device = sys.join("class/drm").join(&card).join("device");
            let vram = read_number(device.join("mem_info_vram_total"))?;
            let name = std::fs::read_to_string(device.join("product_name"))
                .ok()
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| format!("AMD GPU ({card})"));
            Some(AmdDevice {
                name,
                vram,
                visible_vram: read_number(device.join("mem_info_vis_vram_total")),
            })
        })
        .collect()
}

/// Runs `program` and returns its standard output if it exits successfully within `timeout`;
/// a program still running then is killed.
pub fn run_with_timeout(program: &str, args: &[&str], timeout: Duration) -> Option<String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break,
            Ok(Some(_)) | Err(_) => return None,
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                // A program stuck in the kernel (a wedged driver) may not die until its call
                // returns: it is reaped in the background, never waited for here.
                std::thread::spawn(move || child.wait());
                return None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    let mut out = String::new();
    child.stdout.take()?.read_to_string(&mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GB: u64 = 1 << 30;

    #[test]
    fn memory_agrees_with_proc_meminfo() {
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
        let kib: u64 = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap();
        assert_eq!(super::total_memory(), Some(kib * 1024));
    }

    fn no_command(_: &str, _: &[&str]) -> Option<String> {
        None
    }

    fn profile(sys: &Path, run: CommandRunner, platform_unified: bool) -> MachineProfile {
        MachineProfile::from_sources(&ProfileSources {
            sys: sys.to_owned(),
            run,
            ram: Some(32 * GB),
            platform_unified,
        })
    }

    fn amd_card(sys: &Path, card: &str, vram: u64, visible: u64, name: Option<&str>) {
        let device = sys.join("class/drm").join(card).join("device");
        std::fs::create_dir_all(&device).unwrap();
        std::fs::write(device.join("mem_info_vram_total"), format!("{vram}\n")).unwrap();
        std::fs::write(
            device.join("mem_info_vis_vram_total"),
            format!("{visible}\n"),
        )
        .unwrap();
        if let Some(name) = name {
            std::fs::write(device.join("product_name"), name).unwrap();
        }
    }

    #[test]
    fn no_gpu_means_ram_only() {
        let sys = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(sys.path().join("class/drm/card0/device")).unwrap();
        let p = profile(sys.path(), &no_command, false);
        assert_eq!(
            p,
            MachineProfile {
                ram: Some(32 * GB),
                gpus: vec![],
                unified: false
            }
        );
    }

    #[test]
    fn nvidia_cards_come_from_nvidia_smi_in_mib() {
        let sys = tempfile::tempdir().unwrap();
        let run = |program: &str, args: &[&str]| {
            assert_eq!(program, "nvidia-smi");
            assert!(args.contains(&"--format=csv,noheader,nounits"));
            Some("8192, NVIDIA GeForce RTX 4060\n".to_owned())
        };
        let p = profile(sys.path(), &run, false);
        assert_eq!(
            p.gpus,
            [Gpu {
                vendor: GpuVendor::Nvidia,
                name: "NVIDIA GeForce RTX 4060".into(),
                memory: 8 * GB
            }]
        );
        assert!(!p.unified);
        // Two cards, and a line nvidia-smi prints when the driver is unhappy.
        let gpus = parse_nvidia_smi(
            "24576, NVIDIA GeForce RTX 4090\n24576, NVIDIA GeForce RTX 4090\n[N/A], broken\n",
        );
        assert_eq!(gpus.iter().map(|g| g.memory).sum::<u64>(), 48 * GB);
        assert_eq!(gpus.len(), 2);
    }

    #[test]
    fn an_amd_card_is_read_from_sysfs() {
        let sys = tempfile::tempdir().unwrap();
        amd_card(
            sys.path(),
            "card1",
            24 * GB,
            24 * GB,
            Some("Radeon RX 7900 XTX\n"),
        );
        // A connector of the card: not another card.
        std::fs::create_dir_all(sys.path().join("class/drm/card1-DP-1")).unwrap();
        let p = profile(sys.path(), &no_command, false);
        assert_eq!(
            p.gpus,
            [Gpu {
                vendor: GpuVendor::Amd,
                name: "Radeon RX 7900 XTX".into(),
                memory: 24 * GB
            }]
        );
        assert!(!p.unified);
        // Without resizable BAR the CPU sees 256 MB of a larger VRAM: still a card.
        let sys = tempfile::tempdir().unwrap();
        amd_card(sys.path(), "card0", 2 * GB, 256 << 20, None);
        let p = profile(sys.path(), &no_command, false);
        assert_eq!(
            (p.gpus.len(), p.gpus[0].name.as_str()),
            (1, "AMD GPU (card0)")
        );
    }

    #[test]
    fn an_apu_or_apple_silicon_shares_system_memory() {
        let sys = tempfile::tempdir().unwrap();
        amd_card(sys.path(), "card0", 512 << 20, 512 << 20, None);
        let p = profile(sys.path(), &no_command, false);
        assert_eq!((p.gpus.len(), p.unified), (0, true));
        let empty = tempfile::tempdir().unwrap();
        assert!(profile(empty.path(), &no_command, true).unified);
        // A machine with an APU and a card: the card is where models go.
        amd_card(sys.path(), "card1", 16 * GB, 16 * GB, None);
        let p = profile(sys.path(), &no_command, false);
        assert_eq!((p.gpus.len(), p.unified), (1, false));
    }

    #[test]
    fn a_missing_or_hanging_program_is_no_answer() {
        assert_eq!(
            run_with_timeout("/nonexistent/nvidia-smi", &[], Duration::from_secs(1)),
            None
        );
        let started = Instant::now();
        assert_eq!(
            run_with_timeout("sleep", &["10"], Duration::from_millis(200)),
            None
        );
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(
            run_with_timeout("echo", &["hi"], Duration::from_secs(5)).as_deref(),
            Some("hi\n")
        );
    }
}
