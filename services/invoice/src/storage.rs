//! Object storage for original documents: a local directory by default, S3/MinIO when
//! `STORAGE_URL=s3://bucket/prefix` (credentials from the usual AWS variables).

use std::sync::Arc;

use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
}

impl Storage {
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        let store: Arc<dyn ObjectStore> = if let Some(dir) = url.strip_prefix("file://") {
            std::fs::create_dir_all(dir)?;
            Arc::new(object_store::local::LocalFileSystem::new_with_prefix(dir)?)
        } else if let Some(rest) = url.strip_prefix("s3://") {
            // The builder takes the bucket from a URL but ignores its path: apply it here.
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            let s3 = object_store::aws::AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .build()?;
            match prefix.trim_matches('/') {
                "" => Arc::new(s3),
                prefix => Arc::new(object_store::prefix::PrefixStore::new(s3, prefix)),
            }
        } else {
            anyhow::bail!("STORAGE_URL must start with file:// or s3://");
        };
        Ok(Self { store })
    }

    pub fn inner(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    pub async fn delete(&self, key: &str) {
        if let Err(e) = self.store.delete(&Path::from(key)).await {
            tracing::warn!(storage.key = key, error = %e, "could not delete object");
        }
    }

    pub async fn get(&self, key: &str) -> anyhow::Result<object_store::GetResult> {
        Ok(self.store.get(&Path::from(key)).await?)
    }
}
