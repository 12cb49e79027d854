//! Compiles `proto/` with protox (pure Rust, no system protoc) and writes a descriptor set
//! that the servers register for gRPC reflection.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    let files = [
        "ap/common/v1/common.proto",
        "ap/auth/v1/auth.proto",
        "ap/invoice/v1/invoice.proto",
        "ap/payment/v1/payment.proto",
        "ap/approval/v1/approval.proto",
        "ap/askai/v1/askai.proto",
    ];
    let fds = protox::compile(files, [&root])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out.join("ap_descriptor.bin"),
        prost::Message::encode_to_vec(&fds),
    )?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(fds)?;
    println!("cargo:rerun-if-changed={}", root.display());
    Ok(())
}
