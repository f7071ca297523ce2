//! The embedded default provisioner: records every step, calls nothing, and says so. An agent
//! "deployed" this way goes live at once, so the whole flow can be tried without any account.

use super::provisioner::{AppSpec, DeployStatus, EnvVar, ProvisionResult, Provisioner};
use futures::future::BoxFuture;

#[derive(Debug, Default)]
pub struct DryRunProvisioner;

impl Provisioner for DryRunProvisioner {
    fn kind(&self) -> &'static str {
        "dry-run"
    }

    fn find_apps<'a>(&'a self, _spec: &'a AppSpec) -> BoxFuture<'a, ProvisionResult<Vec<String>>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn deployments<'a>(&'a self, _app_id: &'a str) -> BoxFuture<'a, ProvisionResult<Vec<String>>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn create_app<'a>(&'a self, spec: &'a AppSpec) -> BoxFuture<'a, ProvisionResult<String>> {
        Box::pin(async move {
            tracing::warn!(app = %spec.app_name(), image = %spec.image, "DRY RUN: no app was created (M2O_PROVISIONER=dry-run)");
            Ok(format!("dry-run:{}", spec.name))
        })
    }

    fn set_env<'a>(&'a self, app_id: &'a str, vars: &'a [EnvVar]) -> BoxFuture<'a, ProvisionResult<()>> {
        Box::pin(async move {
            tracing::warn!(app_id, ?vars, "DRY RUN: no environment was set");
            Ok(())
        })
    }

    fn deploy<'a>(&'a self, app_id: &'a str, _vars: &'a [EnvVar]) -> BoxFuture<'a, ProvisionResult<String>> {
        Box::pin(async move {
            tracing::warn!(app_id, "DRY RUN: nothing was deployed");
            Ok("dry-run".to_string())
        })
    }

    fn status<'a>(&'a self, _app_id: &'a str, _deployment_id: &'a str) -> BoxFuture<'a, ProvisionResult<DeployStatus>> {
        Box::pin(async { Ok(DeployStatus::Finished) })
    }

    fn delete<'a>(&'a self, app_id: &'a str) -> BoxFuture<'a, ProvisionResult<()>> {
        Box::pin(async move {
            tracing::warn!(app_id, "DRY RUN: nothing was deleted");
            Ok(())
        })
    }
}
