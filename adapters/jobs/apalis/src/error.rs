//! [`PushError`]: why a job did not reach its storage.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

use background_tasks::BoxError;

/// Why a job queued with [`Jobs`](crate::Jobs) was not pushed to its apalis storage.
///
/// Each variant names the job's type (`std::any::type_name`) and keeps the original error as its
/// [`source`](Error::source), so the error hook and the request's report show what the storage
/// said, not a summary of it. As a task's error it counts as a failure under the runner's
/// [`FailurePolicy`](background_tasks::FailurePolicy).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum PushError {
    /// The storage's codec could not encode this job. Nothing was pushed for it; the other jobs
    /// of its batch were unaffected.
    Encode {
        /// The job's type.
        job: &'static str,
        /// The codec's error.
        error: Arc<dyn Error + Send + Sync + 'static>,
    },
    /// The storage refused the batch holding this job (a lost connection, a closed pool, a full
    /// disk). Every job of the batch gets this error. If the connection broke during the commit,
    /// the storage may hold the batch anyway: the error says only that the commit was not
    /// confirmed.
    Storage {
        /// The job's type.
        job: &'static str,
        /// The storage's error (apalis's `TaskSinkError` around the driver's error).
        error: Arc<dyn Error + Send + Sync + 'static>,
    },
    /// The storage's push panicked; the batch was not confirmed. The bridge keeps serving later
    /// jobs.
    Panicked {
        /// The job's type.
        job: &'static str,
        /// The panic's message.
        message: String,
    },
    /// The bridge's pusher is gone: the executor it was spawned on has shut down. The job was not
    /// pushed.
    Closed {
        /// The job's type.
        job: &'static str,
    },
}

impl PushError {
    /// The type of the job that was not pushed.
    pub fn job_type(&self) -> &'static str {
        match self {
            Self::Encode { job, .. }
            | Self::Storage { job, .. }
            | Self::Panicked { job, .. }
            | Self::Closed { job } => job,
        }
    }

    pub(crate) fn encode(job: &'static str, error: BoxError) -> Self {
        Self::Encode {
            job,
            error: Arc::from(error),
        }
    }
}

impl fmt::Display for PushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Encode { job, error } => {
                write!(
                    f,
                    "job `{job}` could not be encoded for its storage: {error}"
                )
            }
            Self::Storage { job, error } => {
                write!(f, "job `{job}` was not pushed: the storage failed: {error}")
            }
            Self::Panicked { job, message } => {
                write!(
                    f,
                    "job `{job}` was not pushed: the storage panicked: {message}"
                )
            }
            Self::Closed { job } => write!(
                f,
                "job `{job}` was not pushed: the pusher stopped (its executor shut down before the push)"
            ),
        }
    }
}

impl Error for PushError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::Encode { error, .. } | Self::Storage { error, .. } => Some(error.as_ref()),
            Self::Panicked { .. } | Self::Closed { .. } => None,
        }
    }
}
