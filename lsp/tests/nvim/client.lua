-- A real LSP client test: Neovim's built-in client (0.7 API, so Debian's neovim works)
-- starts `fgc lsp`, opens a stack with a mistake, and checks diagnostics, hover,
-- completion, definition and formatting. Prints `N passed, N failed` last.
local fgc = os.getenv("FGC")
local file = os.getenv("FG_FILE")
local passed, failed = 0, 0
local function check(name, ok, detail)
  if ok then
    passed = passed + 1
    print("ok   " .. name)
  else
    failed = failed + 1
    print("FAIL " .. name .. ": " .. vim.inspect(detail))
  end
end

vim.cmd("edit " .. file)
local buf = vim.api.nvim_get_current_buf()
local client_id = vim.lsp.start_client({
  name = "fgc",
  cmd = { fgc, "lsp" },
  root_dir = vim.fn.fnamemodify(file, ":h"),
})
check("client started", client_id ~= nil, client_id)
vim.lsp.buf_attach_client(buf, client_id)

-- Diagnostics arrive after didOpen.
local got = vim.wait(15000, function() return #vim.diagnostic.get(buf) > 0 end, 50)
local diags = vim.diagnostic.get(buf)
local codes = {}
for _, d in ipairs(diags) do table.insert(codes, d.code) end
check("diagnostics published", got and vim.tbl_contains(codes, "FG0302"), codes)

-- Finds the 0-based position of a text in the buffer.
local function pos(text, offset)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    local col = line:find(text, 1, true)
    if col then return { line = i - 1, character = col - 1 + (offset or 0) } end
  end
end

local function request(method, params)
  local res = vim.lsp.buf_request_sync(buf, method, params, 10000)
  if not res then return nil end
  for _, r in pairs(res) do return r.result end
end

local doc = { uri = vim.uri_from_bufnr(buf) }

local hover = request("textDocument/hover", { textDocument = doc, position = pos("nat  ", 1) })
local hover_text = hover and hover.contents and hover.contents.value or ""
check("hover shows the stdlib doc", hover_text:find("How private subnets reach the internet", 1, true) ~= nil, hover_text)

local items = request("textDocument/completion", { textDocument = doc, position = pos("nat  ", 8) })
local labels = {}
for _, i in ipairs(items or {}) do table.insert(labels, i.label) end
check("completion offers enum values", vim.tbl_contains(labels, "per_zone"), labels)

local def = request("textDocument/definition", { textDocument = doc, position = pos("-> product", 4) })
check("definition of a route target", def and def.range and def.range.start.line == pos("service product").line, def)

local edits = request("textDocument/formatting", { textDocument = doc, options = { tabSize = 2, insertSpaces = true } })
check("formatting returns an edit", edits and #edits == 1 and edits[1].newText:find("cidr  = 10.0.0.0/16", 1, true) ~= nil, edits)

vim.lsp.stop_client(client_id)
print(string.format("%d passed, %d failed", passed, failed))
vim.cmd(failed == 0 and "qa!" or "cquit!")
