//! The todo-app assistant: the task tool catalogue (shared by the chat agent and
//! the MCP server), an OpenAI-compatible provider client, and the agent loop that
//! falls back to (or is) the deterministic built-in interpreter.
#![forbid(unsafe_code)]

mod agent;
mod markup;
mod provider;
mod tools;

pub use agent::{
    AgentError, Assistant, BUILTIN, Routing, TurnEvent, TurnLimits, TurnOutcome, system_prompt, user_message,
};
pub use markup::{MarkupFilter, strip_markup};
pub use provider::{PRESETS, Preset, ProbeProblem, Provider, ProviderConfig, ProviderError, preset};
pub use todo_builtin::SPEC_COMMANDS;
/// The specification's eight commands (for routing tests and the benchmark).
pub use tools::{TaskTools, ToolDef, ToolError, catalogue};
