//! Coolify: the token is accepted (`GET /version` needs it), and the project and server the agents
//! are deployed to exist (`GET /projects/{uuid}`, `GET /servers/{uuid}`). The three calls run at
//! once; the first thing wrong is reported, most general first, since a refused token makes every
//! call fail alike.

use super::{short, Finding, Place};
use crate::config::{Config, Provisioner};
use crate::services::coolify::CoolifyProvisioner;
use crate::services::probe::ProbeError;

pub const NAME: &str = "Coolify";

pub async fn check(config: &Config, http: &reqwest::Client) -> Finding {
    let c = match (config.provisioner, &config.coolify) {
        (Provisioner::Coolify, Some(c)) => c,
        (Provisioner::Command, _) => {
            return Finding::not_configured(NAME, "M2O_PROVISIONER=command: M2O_SPAWN_COMMAND deploys the agents")
        }
        _ => return Finding::not_configured(NAME, "M2O_PROVISIONER=dry-run: nothing is deployed"),
    };
    let coolify = CoolifyProvisioner::new(http.clone(), &c.api_url, &c.token, &c.project_uuid, &c.server_uuid);
    let place =
        Place { service: NAME, url: crate::services::probe::shown(coolify.api_base()), var: "M2O_COOLIFY_API_URL" };
    let (version, project, server) =
        tokio::join!(coolify.probe_version(), coolify.probe_project(), coolify.probe_server());
    let version = match version {
        Ok(v) => v,
        Err(e) => return Finding::fail(NAME, failure(&place, &e)),
    };
    let project = match project {
        Ok(name) => name,
        Err(ProbeError::NotFound(_)) => {
            return Finding::fail(
                NAME,
                format!(
                    "the project {} does not exist (404). Fix: set M2O_COOLIFY_PROJECT_UUID to the UUID of the \
                     agents' project (Coolify → Projects → the project: the UUID is in its address)",
                    c.project_uuid
                ),
            )
        }
        Err(e) => return Finding::fail(NAME, format!("the project could not be read: {}", failure(&place, &e))),
    };
    let server = match server {
        Ok(name) => name,
        Err(ProbeError::NotFound(_)) => {
            return Finding::fail(
                NAME,
                format!(
                    "the server {} does not exist (404). Fix: set M2O_COOLIFY_SERVER_UUID to the UUID of the server \
                     the agents run on (Coolify → Servers → the server: the UUID is in its address)",
                    c.server_uuid
                ),
            )
        }
        Err(e) => return Finding::fail(NAME, format!("the server could not be read: {}", failure(&place, &e))),
    };
    Finding::pass(
        NAME,
        format!(
            "v{}; project '{project}' ({}) and server '{server}' ({}) exist",
            version.trim_start_matches('v'),
            short(&c.project_uuid),
            short(&c.server_uuid)
        ),
    )
}

fn failure(place: &Place, e: &ProbeError) -> String {
    match e {
        ProbeError::Refused { status: 403, detail } => format!(
            "Coolify refused the request (403 {detail}). Fix: enable the API in Coolify → Settings → Advanced, allow \
             this host's IP there, and give M2O_COOLIFY_TOKEN the read, write and deploy abilities"
        ),
        ProbeError::Refused { status, detail } => format!(
            "the API token is refused ({status} {detail}). Fix: set M2O_COOLIFY_TOKEN to a token from Coolify → Keys & \
             Tokens → API tokens, with the read, write and deploy abilities"
        ),
        ProbeError::NotFound(_) => format!(
            "no Coolify API at {} (404). Fix: set M2O_COOLIFY_API_URL to the instance's address, e.g. \
             https://coolify.example.com",
            place.url
        ),
        other => place.failure(other),
    }
}
