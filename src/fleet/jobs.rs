//! The provisioning job runner (the spawn flow, spec §3.10). Each step is recorded in sled before
//! it runs and after it finishes; a retryable failure (network, 5xx, 429) is retried with backoff,
//! honouring `Retry-After`, up to `MAX_ATTEMPTS`; then the job is `failed` and the masters get the
//! exact error with a `[Retry]` button. A job interrupted by a restart resumes at its step — the
//! create step asks the provisioner for an existing app first, so it never makes a second one.

use super::{buttons, live, progress};
use crate::app::App;
use crate::domain::agent::{backoff, Agent, AgentState, Job, JobState, Step, StepRecord, MAX_ATTEMPTS};
use crate::services::provisioner::{AppSpec, DeployStatus, EnvVar, ProvisionError};
use crate::store::{AuditEntry, Change, OutboxItem};
use chrono::Duration as ChronoDuration;
use std::sync::Arc;
use std::time::Duration;

/// How long a deployment may take before the job gives up on it.
const DEPLOY_DEADLINE_MINUTES: i64 = 20;

/// What a step achieved.
enum Done {
    /// Finished, with a note for the progress view.
    Next(String),
    /// Not finished yet (a deployment in progress): ask again after this long.
    Wait(Duration),
}

/// Runs the job in the background unless it is already running in this process.
pub fn start(app: Arc<App>, job_id: u64) {
    let mut running = app.running_jobs.lock().unwrap_or_else(|e| e.into_inner());
    if running.contains_key(&job_id) {
        return;
    }
    let task_app = app.clone();
    // Registered before the lock is released, so the task's own removal always comes after.
    let task = tokio::spawn(async move {
        if let Err(e) = run(&task_app, job_id).await {
            tracing::error!(job = job_id, error = %e, "provisioning job stopped on an internal error");
        }
        task_app.running_jobs.lock().unwrap_or_else(|e| e.into_inner()).remove(&job_id);
    });
    running.insert(job_id, task.abort_handle());
}

/// Resumes every job that was running when the process stopped. Returns how many.
pub fn resume_all(app: &Arc<App>) -> anyhow::Result<usize> {
    // States only: a fleet of thousands has thousands of finished jobs, each with its step log.
    let running: Vec<u64> = app
        .store
        .job_states()?
        .into_iter()
        .filter(|(_, state)| *state == JobState::Running)
        .map(|(id, _)| id)
        .collect();
    for id in &running {
        tracing::info!(job = id, "resuming a provisioning job");
        start(app.clone(), *id);
    }
    Ok(running.len())
}

/// Puts a failed job back to work (the master's `[Retry]`).
pub fn retry(app: &Arc<App>, job_id: u64) -> anyhow::Result<bool> {
    let Some(mut job) = app.store.job(job_id)? else { return Ok(false) };
    if !matches!(job.state, JobState::Failed { .. }) {
        return Ok(false);
    }
    job.state = JobState::Running;
    job.attempts = 0;
    let mut change = Change::default();
    if let Some(mut agent) = app.store.agent(&job.agent)? {
        agent.state = AgentState::Provisioning;
        agent.last_event = format!("retrying step {}", job.step.number());
        change.agent = Some(agent);
    }
    change.job = Some(job);
    app.commit(&change)?;
    start(app.clone(), job_id);
    Ok(true)
}

/// How often at most the progress messages are edited while steps follow one another without a
/// wait: a dry run's seven steps take milliseconds, and an edit per step was most of a job's cost
/// (`cargo bench --bench e2e`, BENCHMARKS.md §1). Before a wait, and at the end, they are always
/// brought up to date.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// Each step holds one of `App::job_slots` (`app::STEPS_AT_ONCE`) while it runs; waits (a
/// deployment, a retry's backoff) hold none.
async fn run(app: &Arc<App>, id: u64) -> anyhow::Result<()> {
    let mut shown = Shown::default();
    loop {
        let slot = app.job_slots.acquire().await?;
        let Some(mut job) = app.store.job(id)? else { return Ok(()) };
        if job.state != JobState::Running {
            return Ok(());
        }
        let Some(mut agent) = app.store.agent(&job.agent)? else {
            return fail(app, job, None, "the agent's registry entry is missing".into()).await;
        };
        if !started(&job) {
            job.log.push(StepRecord { step: job.step, started_at: app.clock.now(), finished_at: None, outcome: None });
            save(app, &job, None)?;
        }
        if job.progress.is_empty() {
            progress::open(app, &mut job, &agent).await;
            shown.drawn(&job);
        } else {
            shown.update(app, &job, false).await;
        }
        match perform(app, &mut job, &mut agent).await {
            Ok(Done::Next(note)) => {
                if let Some(r) = job.log.last_mut() {
                    r.finished_at = Some(app.clock.now());
                    r.outcome = Some(note);
                }
                job.attempts = 0;
                agent.last_event = format!("step {} of {} done", job.step.number(), Step::ALL.len());
                agent.updated_at = app.clock.now();
                match job.step.next() {
                    Some(next) => {
                        // The next step is recorded as started in the same write as this one's end.
                        job.step = next;
                        job.log.push(StepRecord {
                            step: next,
                            started_at: app.clock.now(),
                            finished_at: None,
                            outcome: None,
                        });
                        save(app, &job, Some(&agent))?;
                    }
                    None if app.provisioner.kind() == "dry-run" => {
                        // Nothing was deployed, so nothing will report online: live at once.
                        save(app, &job, Some(&agent))?;
                        return live::go_live(app, job, agent).await;
                    }
                    None => {
                        job.state = JobState::Deployed;
                        agent.last_event = "deployed; waiting for the agent to report online".into();
                        save(app, &job, Some(&agent))?;
                        progress::refresh(app, &job).await;
                        return Ok(());
                    }
                }
            }
            Ok(Done::Wait(wait)) => {
                save(app, &job, None)?;
                shown.update(app, &job, true).await;
                drop(slot);
                tokio::time::sleep(wait).await;
            }
            Err(e @ (ProvisionError::Retryable { .. } | ProvisionError::Unanswered { .. }))
                if job.attempts + 1 < MAX_ATTEMPTS =>
            {
                let (message, retry_after) = match e {
                    ProvisionError::Retryable { message, retry_after } => (message, retry_after),
                    other => (other.to_string(), None),
                };
                job.attempts += 1;
                let wait = backoff(job.attempts - 1, app.config.retry_base, retry_after);
                tracing::warn!(job = id, step = ?job.step, attempt = job.attempts, ?wait, error = %message, "provisioning step failed; retrying");
                if let Some(r) = job.log.last_mut() {
                    r.outcome = Some(format!("{message} (attempt {}/{MAX_ATTEMPTS})", job.attempts));
                }
                save(app, &job, None)?;
                shown.update(app, &job, true).await;
                drop(slot);
                tokio::time::sleep(wait).await;
            }
            Err(e) => {
                let error = match &e {
                    ProvisionError::Retryable { message, .. } | ProvisionError::Unanswered { message } => {
                        format!("{message} (gave up after {MAX_ATTEMPTS} attempts)")
                    }
                    ProvisionError::Fatal { message } => message.clone(),
                };
                if let Some(r) = job.log.last_mut() {
                    r.outcome = Some(error.clone());
                }
                return fail(app, job, Some(agent), error).await;
            }
        }
    }
}

/// The progress messages as last drawn. They are edited when the job looks different: at most once
/// every `PROGRESS_EVERY` while steps follow one another, and always before a wait (so a deployment
/// or a retry's backoff never shows an old step). The end (live, deployed, failed) is drawn by its
/// own code.
#[derive(Default)]
struct Shown {
    at: Option<tokio::time::Instant>,
    look: Option<(Step, usize, Option<String>)>,
}

impl Shown {
    fn look(job: &Job) -> (Step, usize, Option<String>) {
        (job.step, job.log.len(), job.log.last().and_then(|r| r.outcome.clone()))
    }

    fn drawn(&mut self, job: &Job) {
        self.at = Some(tokio::time::Instant::now());
        self.look = Some(Shown::look(job));
    }

    async fn update(&mut self, app: &App, job: &Job, before_a_wait: bool) {
        let look = Shown::look(job);
        if self.look.as_ref() == Some(&look) {
            return;
        }
        if !before_a_wait && self.at.is_some_and(|at| at.elapsed() < PROGRESS_EVERY) {
            return;
        }
        progress::refresh(app, job).await;
        self.drawn(job);
    }
}

/// Whether the job's current step is recorded as started and not finished.
fn started(job: &Job) -> bool {
    job.log.last().is_some_and(|r| r.step == job.step && r.finished_at.is_none())
}

/// Records the job's progress (and the agent's, when it changed) in one write.
fn save(app: &App, job: &Job, agent: Option<&Agent>) -> crate::store::Result<()> {
    app.commit(&Change { job: Some(job.clone()), agent: agent.cloned(), ..Change::default() })
}

async fn perform(app: &App, job: &mut Job, agent: &mut Agent) -> Result<Done, ProvisionError> {
    let spec = AppSpec { name: job.agent.clone(), image: app.config.agent_image.clone() };
    let fatal = |message: String| ProvisionError::Fatal { message };
    match job.step {
        Step::CheckName => {
            let holder = app.store.name_holder(&job.agent).map_err(|e| fatal(e.to_string()))?;
            let ours = agent.job_id == job.id && holder.is_none_or(|h| Some(h) == agent.contact_id);
            if ours {
                Ok(Done::Next("ok".into()))
            } else {
                Err(fatal(format!("the name {} is held by another request", job.agent)))
            }
        }
        Step::Guacamole => match &app.guacamole {
            None => Ok(Done::Next("skipped: M2O_GUACAMOLE_URL is not set".into())),
            Some(g) => {
                let name = spec.app_name();
                match g.ensure_vnc_connection(&name, &name, 5900).await {
                    Ok(id) => Ok(Done::Next(format!("connection {id}"))),
                    Err(crate::services::guacamole::GuacError::Retryable(m)) => {
                        Err(ProvisionError::Retryable { message: m, retry_after: None })
                    }
                    Err(crate::services::guacamole::GuacError::Fatal(m)) => Err(fatal(m)),
                }
            }
        },
        Step::CreateApp => {
            if let Some(id) = &job.app_id {
                return Ok(Done::Next(format!("app {id}")));
            }
            let (id, note) = match app.provisioner.find_apps(&spec).await?.first() {
                Some(id) => (id.clone(), format!("found the app {id} made before a restart")),
                None => match app.provisioner.create_app(&spec).await {
                    Ok(id) => (id.clone(), format!("app {id}")),
                    // Cut off (a timeout): the app may still be made. Look before trying again.
                    Err(e @ ProvisionError::Unanswered { .. }) => match late_app(app, &spec).await? {
                        Some(id) => (id.clone(), format!("found the app {id} made after the call timed out")),
                        None => return Err(e),
                    },
                    Err(e) => return Err(e),
                },
            };
            job.app_id = Some(id.clone());
            agent.app_id = Some(id);
            Ok(Done::Next(note))
        }
        Step::SetEnv => {
            let vars = env_vars(app, agent)?;
            app.provisioner.set_env(app_id(job)?, &vars).await?;
            Ok(Done::Next(format!("{} variables", vars.len())))
        }
        Step::Deploy => {
            if let Some(d) = &job.deployment_id {
                return Ok(Done::Next(format!("deployment {d}")));
            }
            let app_id = app_id(job)?.to_string();
            match &job.deployments_before {
                // A deploy call was sent before and its outcome is unknown (a crash, a timeout):
                // a deployment that was not there before it is the one it queued.
                Some(before) => {
                    let now = app.provisioner.deployments(&app_id).await?;
                    if let Some(d) = now.into_iter().find(|d| !before.contains(d)) {
                        job.deployment_id = Some(d.clone());
                        return Ok(Done::Next(format!("found the deployment {d} queued before")));
                    }
                }
                None => {
                    job.deployments_before = Some(app.provisioner.deployments(&app_id).await?);
                    // On disk before the call goes out, so a crash during it is recognised.
                    let saved = app.commit_durable(&Change { job: Some(job.clone()), ..Change::default() }).await;
                    saved.map_err(|e| fatal(e.to_string()))?;
                }
            }
            let vars = env_vars(app, agent)?;
            let deployment = app.provisioner.deploy(&app_id, &vars).await?;
            job.deployment_id = Some(deployment.clone());
            Ok(Done::Next(format!("deployment {deployment}")))
        }
        Step::Register => {
            agent.app_id = job.app_id.clone();
            // A create that timed out may have made a twin after all: only the app kept stays.
            let kept = app_id(job)?;
            for twin in app.provisioner.find_apps(&spec).await?.into_iter().filter(|id| id != kept) {
                tracing::warn!(agent = %agent.name, app = %twin, "deleting a second app made for the same agent");
                app.provisioner.delete(&twin).await?;
            }
            Ok(Done::Next(format!("{} in the registry as provisioning", agent.name)))
        }
        Step::WaitLive => {
            let deployment = job.deployment_id.clone().unwrap_or_default();
            match app.provisioner.status(app_id(job)?, &deployment).await? {
                DeployStatus::Finished => Ok(Done::Next("finished".into())),
                DeployStatus::Failed(why) => Err(fatal(format!("the deployment failed: {why}"))),
                DeployStatus::InProgress => {
                    let started = job.log.last().map(|r| r.started_at).unwrap_or(job.created_at);
                    if app.clock.now() - started > ChronoDuration::minutes(DEPLOY_DEADLINE_MINUTES) {
                        return Err(fatal(format!(
                            "the deployment was still running after {DEPLOY_DEADLINE_MINUTES} minutes"
                        )));
                    }
                    Ok(Done::Wait(app.config.retry_base.saturating_mul(3)))
                }
            }
        }
    }
}

/// After a create call that failed without an answer: looks for the app a few times, waiting
/// longer each time (from `M2O_RETRY_BASE_MS`: 4, 8, 16 and 32 s by default), since the provider
/// may finish it after we stopped waiting.
async fn late_app(app: &App, spec: &AppSpec) -> Result<Option<String>, ProvisionError> {
    for k in [2u32, 4, 8, 16] {
        tokio::time::sleep(app.config.retry_base.saturating_mul(k)).await;
        if let Some(id) = app.provisioner.find_apps(spec).await?.into_iter().next() {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

fn app_id(job: &Job) -> Result<&str, ProvisionError> {
    job.app_id.as_deref().ok_or(ProvisionError::Fatal { message: "no app was created".into() })
}

/// The agent's environment (the spawn flow, spec §3.10 step 4). The API token is derived from the
/// secret key, so a resumed job sets the same one again; only its hash is kept.
fn env_vars(app: &App, agent: &mut Agent) -> Result<Vec<EnvVar>, ProvisionError> {
    let token = app.secrets.open(&agent.token_sealed).map_err(|e| ProvisionError::Fatal { message: e.to_string() })?;
    let api_token = app.secrets.agent_api_token(&agent.name, agent.generation());
    agent.api_token_hash = Some(crate::crypto::token_hash(&api_token));
    let var = |key: &str, value: String, secret: bool| EnvVar { key: key.into(), value, secret };
    Ok(vec![
        var("AGENT_NAME", agent.name.clone(), false),
        var("AGENT_TELEGRAM_BOT_TOKEN", token, true),
        var("AGENT_TIMEZONE", agent.timezone.clone(), false),
        var("M2O_AGENT_TOKEN", api_token, true),
        var("M2O_API_URL", app.config.public_url.clone(), false),
    ])
}

async fn fail(app: &Arc<App>, mut job: Job, agent: Option<Agent>, error: String) -> anyhow::Result<()> {
    tracing::error!(job = job.id, agent = %job.agent, step = ?job.step, error = %error, "provisioning failed");
    job.state = JobState::Failed { error: error.clone() };
    let now = app.clock.now();
    let mut change = Change::default();
    if let Some(mut a) = agent {
        a.state = AgentState::Failed;
        a.last_event = format!("failed at step {}: {error}", job.step.number());
        a.updated_at = now;
        change.audit.push(AuditEntry::event(
            now,
            crate::domain::Actor::System,
            a.contact_id,
            "provisioning_failed",
            &error,
        ));
        change.agent = Some(a);
    }
    let tr = app.master_tr();
    let text = tr.t_args(
        "master-job-failed",
        &[
            ("name", (&job.agent).into()),
            ("step", (job.step.number() as i64).into()),
            ("label", tr.t(job.step.key()).as_str().into()),
            ("error", (&error).into()),
        ],
    );
    let buttons = vec![buttons::retry(&tr, job.id)];
    change.outbox = OutboxItem::to_each(&app.config.master_ids, &text, &buttons, None);
    change.job = Some(job.clone());
    app.commit_durable(&change).await?;
    progress::refresh(app, &job).await;
    Ok(())
}
