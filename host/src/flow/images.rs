//! Task images for a run: each instance's image is built (or found by its content tag)
//! once, however many episodes of that instance run at the same time.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{Mutex, OnceCell};

use crate::sandbox::{Engine, ImageRef, SandboxError};
use crate::task::Instance;

#[derive(Default)]
pub struct Images {
    cells: Mutex<HashMap<String, Arc<OnceCell<ImageRef>>>>,
}

impl Images {
    /// The image of `instance`, built at most once per run (a failed build is retried by the
    /// next caller).
    pub async fn ensure(
        &self,
        docker: &Engine,
        instance: &Instance,
    ) -> Result<ImageRef, SandboxError> {
        let cell = {
            let mut cells = self.cells.lock().await;
            cells
                .entry(instance.content_hash.clone())
                .or_default()
                .clone()
        };
        let spec = instance.image_spec();
        cell.get_or_try_init(|| docker.ensure_image(&spec))
            .await
            .cloned()
    }
}
