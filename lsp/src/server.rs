//! The tower-lsp-server adapter: capabilities, and one forwarding method per request.

use std::path::PathBuf;
use std::sync::Mutex;

use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer, LspService, Server};

use crate::engine::{Engine, ExtraDiagnostics, Publish};

pub struct Backend {
    client: Client,
    engine: Mutex<Engine>,
}

impl Backend {
    pub fn new(client: Client, stdlib_dir: PathBuf) -> Self {
        Backend { client, engine: Mutex::new(Engine::new(stdlib_dir)) }
    }

    /// A backend whose engine adds `extra`'s diagnostics to every analysis (the CLI
    /// passes policy plugins this way, so that this crate does not depend on wasmtime).
    pub fn with_extra(client: Client, stdlib_dir: PathBuf, extra: ExtraDiagnostics) -> Self {
        let mut engine = Engine::new(stdlib_dir);
        engine.set_extra(extra);
        Backend { client, engine: Mutex::new(engine) }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Engine) -> T) -> T {
        let mut engine = self.engine.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut engine)
    }

    async fn publish(&self, batches: Vec<Publish>) {
        for (uri, diagnostics) in batches {
            self.client.publish_diagnostics(uri, diagnostics, None).await;
        }
    }
}

/// The server's capabilities.
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![" ".into(), "=".into(), ">".into()]),
            ..Default::default()
        }),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        document_symbol_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..Default::default()
        })),
        inlay_hint_provider: Some(OneOf::Left(true)),
        semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(
            SemanticTokensOptions {
                legend: SemanticTokensLegend {
                    token_types: crate::tokens::LEGEND.iter().map(|t| SemanticTokenType::new(t)).collect(),
                    token_modifiers: Vec::new(),
                },
                full: Some(SemanticTokensFullOptions::Bool(true)),
                range: None,
                work_done_progress_options: Default::default(),
            },
        )),
        ..Default::default()
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, _: InitializeParams) -> Result<InitializeResult> {
        Ok(InitializeResult {
            capabilities: capabilities(),
            server_info: Some(ServerInfo { name: "fgc".into(), version: Some(env!("CARGO_PKG_VERSION").into()) }),
            ..Default::default()
        })
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, p: DidOpenTextDocumentParams) {
        let batches = self.with(|e| e.open(&p.text_document.uri, p.text_document.text));
        self.publish(batches).await;
    }

    async fn did_change(&self, p: DidChangeTextDocumentParams) {
        let Some(change) = p.content_changes.into_iter().last() else { return };
        let batches = self.with(|e| e.change(&p.text_document.uri, change.text));
        self.publish(batches).await;
    }

    async fn did_close(&self, p: DidCloseTextDocumentParams) {
        let batches = self.with(|e| e.close(&p.text_document.uri));
        self.publish(batches).await;
    }

    async fn hover(&self, p: HoverParams) -> Result<Option<Hover>> {
        let tp = p.text_document_position_params;
        Ok(self.with(|e| e.hover(&tp.text_document.uri, tp.position)))
    }

    async fn completion(&self, p: CompletionParams) -> Result<Option<CompletionResponse>> {
        let tp = p.text_document_position;
        let items = self.with(|e| e.completion(&tp.text_document.uri, tp.position));
        Ok(Some(CompletionResponse::Array(items)))
    }

    async fn goto_definition(&self, p: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        let tp = p.text_document_position_params;
        Ok(self.with(|e| e.definition(&tp.text_document.uri, tp.position)).map(GotoDefinitionResponse::Scalar))
    }

    async fn references(&self, p: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let tp = p.text_document_position;
        Ok(Some(self.with(|e| e.references(&tp.text_document.uri, tp.position, p.context.include_declaration))))
    }

    async fn prepare_rename(&self, p: TextDocumentPositionParams) -> Result<Option<PrepareRenameResponse>> {
        Ok(self.with(|e| e.prepare_rename(&p.text_document.uri, p.position)))
    }

    async fn rename(&self, p: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let tp = p.text_document_position;
        self.with(|e| e.rename(&tp.text_document.uri, tp.position, &p.new_name)).map_err(Error::invalid_params)
    }

    async fn document_symbol(&self, p: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
        Ok(Some(DocumentSymbolResponse::Nested(self.with(|e| e.document_symbols(&p.text_document.uri)))))
    }

    async fn symbol(&self, p: WorkspaceSymbolParams) -> Result<Option<WorkspaceSymbolResponse>> {
        Ok(Some(WorkspaceSymbolResponse::Flat(self.with(|e| e.workspace_symbols(&p.query)))))
    }

    async fn semantic_tokens_full(&self, p: SemanticTokensParams) -> Result<Option<SemanticTokensResult>> {
        Ok(self.with(|e| e.semantic_tokens(&p.text_document.uri)).map(SemanticTokensResult::Tokens))
    }

    async fn formatting(&self, p: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        Ok(self.with(|e| e.formatting(&p.text_document.uri)))
    }

    async fn code_action(&self, p: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        Ok(Some(self.with(|e| e.code_actions(&p.text_document.uri, p.range))))
    }

    async fn inlay_hint(&self, p: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        Ok(Some(self.with(|e| e.inlay_hints(&p.text_document.uri, p.range))))
    }
}

/// Where the standard library is written for go to definition.
pub fn default_stdlib_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("fgc").join(format!("stdlib-{}", env!("CARGO_PKG_VERSION")))
}

/// Serves the language server on standard input and output until the client exits.
pub fn serve_stdio() {
    serve_stdio_with(None);
}

/// As [`serve_stdio`], with extra diagnostics after every analysis.
pub fn serve_stdio_with(extra: Option<ExtraDiagnostics>) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("fgc lsp: cannot start the runtime: {e}");
            return;
        }
    };
    runtime.block_on(async {
        let (service, socket) = LspService::new(|client| match extra {
            Some(extra) => Backend::with_extra(client, default_stdlib_dir(), extra),
            None => Backend::new(client, default_stdlib_dir()),
        });
        Server::new(tokio::io::stdin(), tokio::io::stdout(), socket).serve(service).await;
    });
}

/// A service for in-process tests.
pub fn service(stdlib_dir: PathBuf) -> (LspService<Backend>, tower_lsp_server::ClientSocket) {
    LspService::new(move |client| Backend::new(client, stdlib_dir))
}
