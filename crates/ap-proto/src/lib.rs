//! Generated protobuf and tonic code for the AP services; nothing hand-written but re-exports.

#![allow(clippy::all, clippy::pedantic, reason = "generated code")]

/// Encoded `FileDescriptorSet` of every contract, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/ap_descriptor.bin"));

pub mod common {
    pub mod v1 {
        tonic::include_proto!("ap.common.v1");
    }
}

pub mod auth {
    pub mod v1 {
        tonic::include_proto!("ap.auth.v1");
    }
}

pub mod invoice {
    pub mod v1 {
        tonic::include_proto!("ap.invoice.v1");
    }
}

pub mod payment {
    pub mod v1 {
        tonic::include_proto!("ap.payment.v1");
    }
}

pub mod approval {
    pub mod v1 {
        tonic::include_proto!("ap.approval.v1");
    }
}

pub mod askai {
    pub mod v1 {
        tonic::include_proto!("ap.askai.v1");
    }
}
