//! The todo-app assistant: the task tool catalogue (shared by the chat agent and
//! the MCP server), an OpenAI-compatible provider client, and the agent loop that
//! falls back to (or is) the deterministic built-in interpreter.
#![forbid(unsafe_code)]

mod agent;
mod provider;
mod tools;

pub use agent::{AgentError, Assistant, BUILTIN, TurnEvent, TurnOutcome};
pub use provider::{PRESETS, Preset, ProbeProblem, Provider, ProviderConfig, ProviderError, preset};
pub use tools::{TaskTools, ToolDef, ToolError, catalogue};
