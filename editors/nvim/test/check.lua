-- The headless checks of the Neovim plugin, run by test/run.sh:
--   nvim --headless --clean --cmd "set rtp^=$FG_PLUGIN" -c "luafile test/check.lua"
-- Environment: FG_PLUGIN (the plugin folder), FG_REPO (the fgc repository), FGC (the fgc
-- binary, may not exist), FG_RESULTS (a file for the pass/fail/skip counts),
-- FG_REQUIRE_LSP=1 to fail rather than skip when fgc has no `lsp` command.

local plugin = assert(os.getenv("FG_PLUGIN"), "FG_PLUGIN is not set")
local repo = assert(os.getenv("FG_REPO"), "FG_REPO is not set")
local fgc_bin = os.getenv("FGC") or (repo .. "/target/debug/fgc")
local results_file = os.getenv("FG_RESULTS")
local require_lsp = os.getenv("FG_REQUIRE_LSP") == "1"
local example = repo .. "/examples/two-services-path-routing.fg"
-- The root the plugin should find for the example: the repository in a git checkout,
-- else the example's own folder.
local example_root = (vim.loop.fs_stat(repo .. "/.git") and repo) or (repo .. "/examples")

local counts = { passed = 0, failed = 0, skipped = 0 }

local function out(line)
  io.stdout:write(line .. "\n")
  io.stdout:flush()
end

local function check(name, fn)
  local ok, err = pcall(fn)
  if ok then
    counts.passed = counts.passed + 1
    out("ok      " .. name)
  elseif type(err) == "table" and err.skip then
    counts.skipped = counts.skipped + 1
    out("skip    " .. name .. ": " .. err.skip)
  else
    counts.failed = counts.failed + 1
    out("FAIL    " .. name .. ": " .. tostring(err))
  end
end

local function skip(why)
  error({ skip = why }, 0)
end

local function eq(actual, expected, what)
  if actual ~= expected then
    error(string.format("%s: expected %s, got %s", what or "value", vim.inspect(expected), vim.inspect(actual)), 2)
  end
end

-- The syntax group at a position, the group it links to, and where the links end.
local function syntax_at(lnum, col)
  local id = vim.fn.synID(lnum, col, 1)
  local name = vim.fn.synIDattr(id, "name")
  local link = vim.fn.execute("highlight " .. (name ~= "" and name or "Normal")):match("links to (%S+)")
  local final = vim.fn.synIDattr(vim.fn.synIDtrans(id), "name")
  return name, link, final
end

-- The first position (1-based line and column) of `needle` on a line containing `marker`.
local function find(marker, needle)
  for lnum, line in ipairs(vim.api.nvim_buf_get_lines(0, 0, -1, false)) do
    local at = line:find(marker, 1, true)
    if at then
      local col = line:find(needle, 1, true)
      assert(col, string.format("line %d has no %q", lnum, needle))
      return lnum, col
    end
  end
  error(string.format("no line contains %q", marker))
end

local function wait_for(ms, cond)
  return vim.wait(ms, cond, 50)
end

local function fgc_clients()
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ name = "fgc" })
  end
  local found = {}
  for _, c in pairs(vim.lsp.get_active_clients()) do
    if c.name == "fgc" then
      table.insert(found, c)
    end
  end
  return found
end

local function buf_clients(bufnr)
  local found = {}
  for _, c in ipairs(fgc_clients()) do
    if c.attached_buffers and c.attached_buffers[bufnr] then
      table.insert(found, c)
    elseif vim.lsp.buf_is_attached and vim.lsp.buf_is_attached(bufnr, c.id) then
      table.insert(found, c)
    end
  end
  return found
end

local function stop_all()
  require("fgc").stop()
  wait_for(5000, function()
    return #fgc_clients() == 0
  end)
end

out("neovim " .. tostring(vim.version().major) .. "." .. vim.version().minor .. "." .. vim.version().patch)

-- ------------------------------------------------------------ filetype and settings

vim.cmd("edit " .. vim.fn.fnameescape(example))
local example_buf = vim.api.nvim_get_current_buf()

check("filetype of " .. vim.fn.fnamemodify(example, ":t") .. " is fg", function()
  eq(vim.bo.filetype, "fg", "filetype")
end)

check("syntax/fg.vim is loaded", function()
  eq(vim.b.current_syntax, "fg", "b:current_syntax")
end)

check("ftplugin sets commentstring and two-space indentation", function()
  eq(vim.bo.commentstring, "// %s", "commentstring")
  eq(vim.bo.shiftwidth, 2, "shiftwidth")
  eq(vim.bo.expandtab, true, "expandtab")
  assert(vim.bo.iskeyword:find("-", 1, true), "iskeyword lacks -")
end)

-- ------------------------------------------------------------ highlighting

local positions = {
  { "a comment", "Seed 002", "//", "fgComment", "Comment" },
  { "the app keyword", 'app "ecs-demo"', "app", "fgApp", "Structure" },
  { "a declaration kind", "network main", "network", "fgDeclKind", "Structure" },
  { "a declaration name", "network main", "main", "fgDeclName", "Function" },
  { "a route keyword", 'route "/product-svc*"', "route", "fgStatement", "Keyword" },
  { "a string", 'region = "us-east-1"', '"us-east-1"', "fgString", "String" },
  { "an attribute key", 'region = "us-east-1"', "region", "fgAttrKey", "Identifier" },
  { "a number with a size unit", "memory = 1GiB", "1GiB", "fgSize", "Number" },
  { "the size unit", "memory = 1GiB", "GiB", "fgUnit", "Number" },
  { "a number with a duration unit", "interval  = 10s", "10s", "fgDuration", "Number" },
  { "a plain number", "port   = 3000", "3000", "fgNumber", "Number" },
  { "a CIDR block", "cidr  = 10.0.0.0/16", "10.0.0.0/16", "fgCidr", "Number" },
  { "an enum value", "nat   = single", "single", "fgEnumConst", "Constant" },
  { "a built-in call", "respond(404", "respond", "fgBuiltin", "Function" },
  { "a nested block", "listener http", "listener", "fgBlockName", "Type" },
  { "a block label", "listener http", "http", "fgBlockLabel", "Function" },
  { "the route arrow", 'route "/user-svc*"', "->", "fgArrow", "Operator" },
  { "a spread", "...backend", "...", "fgSpread", "Operator" },
  { "let", "let backend", "let", "fgLet", "Structure" },
}

for _, p in ipairs(positions) do
  local what, marker, needle, group, link = p[1], p[2], p[3], p[4], p[5]
  check(string.format("highlight of %s (%s) is %s -> %s", what, needle, group, link), function()
    vim.api.nvim_set_current_buf(example_buf)
    local lnum, col = find(marker, needle)
    local name, linked, final = syntax_at(lnum, col)
    eq(name, group, string.format("syntax group at %d:%d", lnum, col))
    eq(linked, link, group .. " links to")
    assert(final ~= "" and final ~= name, group .. " resolves to no highlight group")
    if vim.inspect_pos then
      -- Neovim 0.9+: the same answer through the inspection API.
      local info = vim.inspect_pos(example_buf, lnum - 1, col - 1)
      local groups = vim.tbl_map(function(s)
        return s.hl_group
      end, info.syntax or {})
      assert(vim.tbl_contains(groups, group), "inspect_pos: " .. vim.inspect(groups))
    end
  end)
end

check("standard library: kind, field, type and doc comment", function()
  vim.cmd("edit " .. vim.fn.fnameescape(repo .. "/stdlib/service.fg"))
  local function at(marker, needle)
    local lnum, col = find(marker, needle)
    return (syntax_at(lnum, col))
  end
  eq(at("kind service {", "kind"), "fgSchemaKw", "kind")
  eq(at("kind service {", "service"), "fgSchemaName", "kind name")
  eq(at("  image: text", "image"), "fgFieldName", "field")
  eq(at("  image: text", "text"), "fgPrimType", "type")
  eq(at("  out name: string", "out"), "fgOut", "out")
  eq(at("/// A Fargate service", "///"), "fgDocComment", "doc comment")
  vim.cmd("bwipeout")
end)

check("step statement: metric, comparison, unit, arrow and adjustment", function()
  vim.cmd("edit " .. vim.fn.fnameescape(repo .. "/examples/step-scaled-ha-app.fg"))
  local function at(needle)
    local lnum, col = find("step cpu >= 80%", needle)
    return (syntax_at(lnum, col))
  end
  eq(at("step"), "fgStatement", "step")
  eq(at("cpu"), "fgMetric", "metric")
  eq(at(">="), "fgComparison", "comparison")
  eq(at("80%"), "fgPercent", "percent")
  eq(at("=>"), "fgArrow", "fat arrow")
  eq(at("+1"), "fgAdjustment", "adjustment")
  local lnum, col = find("count = env {", "env")
  eq((syntax_at(lnum, col)), "fgEnvKw", "env")
  lnum, col = find("count = env {", "staging")
  eq((syntax_at(lnum, col)), "fgEnvArm", "env arm")
  vim.cmd("bwipeout")
end)

check("api, repository and deployment: kinds, names, interpolation and enum values", function()
  vim.cmd("edit " .. vim.fn.fnameescape(repo .. "/examples/private-backend-blue-green.fg"))
  local function at(marker, needle)
    local lnum, col = find(marker, needle)
    return (syntax_at(lnum, col))
  end
  eq(at("repository images", "repository"), "fgDeclKind", "repository")
  eq(at("repository images", "images"), "fgDeclName", "repository name")
  eq(at("api ingress", "api"), "fgDeclKind", "api")
  eq(at("api ingress", "ingress"), "fgDeclName", "api name")
  eq(at("balancer api", "api"), "fgDeclName", "balancer named api")
  eq(at("balancer = api", "balancer"), "fgAttrKey", "balancer field")
  eq(at('route "/dev/{proxy+}"', "route"), "fgStatement", "route")
  eq(at("${images.url}", "images.url"), "fgInterpPath", "interpolation")
  eq(at("strategy ", "blue_green"), "fgEnumConst", "strategy")
  eq(at("test_port ", "test_port"), "fgAttrKey", "test_port")
  eq(at("rollback_alarms", "http_5xx"), "fgEnumConst", "http_5xx")
  eq(at("rollback_alarms", "unhealthy"), "fgEnumConst", "unhealthy")
  vim.cmd("bwipeout")
end)

-- The syntax file's word lists against the repository: every stdlib enum value and kind,
-- every built-in function and unit of the checker highlights as such.
check("word lists match the stdlib enums and kinds and the checker's functions and units", function()
  local cases = {}
  for _, file in ipairs(vim.fn.glob(repo .. "/stdlib/*.fg", false, true)) do
    local text = table.concat(vim.fn.readfile(file), "\n"):gsub("//[^\n]*", "")
    for body in text:gmatch("enum%s+[%w_]+%s*(%b{})") do
      for v in body:gmatch("[%a_][%w_-]*") do
        table.insert(cases, { "x = " .. v, v, "fgEnumConst" })
      end
    end
  end
  local typeck = table.concat(vim.fn.readfile(repo .. "/crates/fg-check/src/typeck.rs"), "\n")
  local functions = typeck:match("pub const FUNCTIONS: &%[&str%] = &%[(.-)%]")
  local size = typeck:match("const SIZE_UNITS: [^=]+= &%[(.-)%];")
  local duration = typeck:match("const DURATION_UNITS: [^=]+= &%[(.-)%];")
  assert(functions and size and duration, "word lists not found in typeck.rs")
  for f in functions:gmatch('"(%w+)"') do
    table.insert(cases, { "x = " .. f .. '("a")', f, "fgBuiltin" })
  end
  for u in size:gmatch('%("(%w+)"') do
    table.insert(cases, { "x = 5" .. u, "5", "fgSize" })
  end
  for u in duration:gmatch('%("(%w+)"') do
    table.insert(cases, { "x = 5" .. u, "5", "fgDuration" })
  end
  for _, file in ipairs(vim.fn.glob(repo .. "/stdlib/*.fg", false, true)) do
    for _, line in ipairs(vim.fn.readfile(file)) do
      local k = line:match("^kind%s+([%w_]+)")
      if k and k ~= "app" then
        table.insert(cases, { k .. " x {", k, "fgDeclKind", 1 })
      end
    end
  end
  assert(#cases > 30, "only " .. #cases .. " words found")
  local buf = vim.api.nvim_create_buf(true, true)
  vim.api.nvim_set_current_buf(buf)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, vim.tbl_map(function(c)
    return c[1]
  end, cases))
  vim.bo[buf].filetype = "fg"
  local wrong = {}
  for i, c in ipairs(cases) do
    local col = c[1]:find(c[2], c[4] or 5, true)
    local name = syntax_at(i, col)
    if name ~= c[3] then
      table.insert(wrong, string.format("%s: %s, not %s", c[1], name, c[3]))
    end
  end
  vim.cmd("bwipeout!")
  assert(#wrong == 0, table.concat(wrong, "; "))
end)

-- ------------------------------------------------------------ indentation

local function reindent(lines)
  local buf = vim.api.nvim_create_buf(true, true)
  vim.api.nvim_set_current_buf(buf)
  vim.bo[buf].filetype = "fg"
  local stripped = vim.tbl_map(function(l)
    return (l:gsub("^%s+", ""))
  end, lines)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, stripped)
  vim.cmd("silent normal! gg=G")
  local result = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  vim.cmd("bwipeout!")
  return result
end

for _, file in ipairs(vim.fn.glob(repo .. "/examples/*.fg", false, true)) do
  check("reindenting " .. vim.fn.fnamemodify(file, ":t") .. " from scratch gives it back", function()
    local lines = vim.fn.readfile(file)
    local got = reindent(lines)
    for i, line in ipairs(lines) do
      if got[i] ~= line then
        error(string.format("line %d: expected %q, got %q", i, line, tostring(got[i])))
      end
    end
  end)
end

check("indentation follows brackets, ignoring those in strings and comments", function()
  local want = {
    "service web {",
    '  image = "a{b" // {',
    "  command = [",
    '    "serve",',
    "  ]",
    "  health { path = \"/\" }",
    "  scale {",
    "    min = 1",
    "  } }",
    "}",
  }
  local got = reindent(want)
  eq(table.concat(got, "\n"), table.concat(want, "\n"), "reindented text")
end)

-- ------------------------------------------------------------ LSP client (stub server)

local fgc = require("fgc")

check("find_root walks up to .git, else the file's folder", function()
  local tmp = vim.fn.tempname()
  vim.fn.mkdir(tmp .. "/proj/.git", "p")
  vim.fn.mkdir(tmp .. "/proj/stacks/prod", "p")
  vim.fn.mkdir(tmp .. "/loose", "p")
  eq(fgc.find_root(tmp .. "/proj/stacks/prod/web.fg"), tmp .. "/proj", "root with .git")
  eq(fgc.find_root(tmp .. "/loose/web.fg"), tmp .. "/loose", "root without .git")
  eq(fgc.find_root(example), example_root, "root of the example")
  vim.fn.delete(tmp, "rf")
end)

local python = vim.fn.exepath("python3")

check("setup starts a client on fg buffers and attaches it (stub server)", function()
  if python == "" then
    skip("python3 is not on PATH")
  end
  vim.cmd("silent! %bwipeout!")
  stop_all()
  local attached = {}
  fgc.setup({
    cmd = { python, plugin .. "/test/fake-lsp.py", "lsp" },
    on_attach = function(client, bufnr)
      attached[bufnr] = client.id
    end,
  })
  local tmp = vim.fn.tempname()
  vim.fn.mkdir(tmp .. "/proj/.git", "p")
  vim.fn.mkdir(tmp .. "/proj/a", "p")
  vim.fn.writefile({ 'app "x" { region = "eu-west-1" }' }, tmp .. "/proj/a/one.fg")
  vim.fn.writefile({ "network main {}" }, tmp .. "/proj/two.fg")
  vim.fn.writefile({ "not fg" }, tmp .. "/proj/notes.txt")

  vim.cmd("edit " .. tmp .. "/proj/a/one.fg")
  local one = vim.api.nvim_get_current_buf()
  assert(wait_for(10000, function()
    return attached[one] ~= nil
  end), "no client attached to one.fg within 10s")
  local client = vim.lsp.get_client_by_id(attached[one])
  eq(client.name, "fgc", "client name")
  eq(client.config.root_dir, tmp .. "/proj", "root_dir")

  assert(wait_for(5000, function()
    return #vim.diagnostic.get(one) > 0
  end), "no diagnostics from the server")
  eq(vim.diagnostic.get(one)[1].message, "fake diagnostic from the test server", "diagnostic")

  vim.cmd("edit " .. tmp .. "/proj/two.fg")
  local two = vim.api.nvim_get_current_buf()
  assert(wait_for(5000, function()
    return attached[two] ~= nil
  end), "no client attached to two.fg")
  eq(attached[two], attached[one], "second buffer of the same root reuses the client")
  eq(#fgc_clients(), 1, "fgc clients running")

  -- :FgcRestart replaces the client and reattaches the loaded fg buffers.
  local before = attached[one]
  vim.cmd("FgcRestart")
  assert(wait_for(10000, function()
    return attached[two] ~= before and #fgc_clients() == 1
  end), "the buffer was not reattached to a new client after :FgcRestart: " .. vim.inspect({ before = before, attached = attached, clients = #fgc_clients(), two = two, loaded = vim.api.nvim_buf_is_loaded(two), ft = vim.bo[two].filetype }))

  vim.cmd("edit " .. tmp .. "/proj/notes.txt")
  local txt = vim.api.nvim_get_current_buf()
  vim.wait(300)
  eq(#buf_clients(txt), 0, "clients attached to a .txt buffer")

  stop_all()
  eq(#fgc_clients(), 0, "clients after stop")
  vim.cmd("silent! %bwipeout!")
  vim.fn.delete(tmp, "rf")
end)

check("a missing executable is reported, not started", function()
  vim.cmd("silent! %bwipeout!")
  stop_all()
  local messages = {}
  local notify = vim.notify
  vim.notify = function(msg)
    table.insert(messages, msg)
  end
  fgc.setup({ cmd = "/nonexistent/fgc" })
  vim.cmd("edit " .. vim.fn.fnameescape(example))
  local id = fgc.start(0)
  vim.wait(200, function()
    return #messages > 0
  end)
  vim.notify = notify
  eq(id, nil, "client id")
  eq(#fgc_clients(), 0, "clients")
  assert(#messages == 1 and messages[1]:find("/nonexistent/fgc", 1, true), "message: " .. vim.inspect(messages))
  vim.cmd("silent! %bwipeout!")
end)

check("an fgc without `lsp` is reported when it exits", function()
  vim.cmd("silent! %bwipeout!")
  stop_all()
  local old = vim.fn.tempname()
  vim.fn.writefile({ "#!/bin/sh", "echo \"error: unrecognized subcommand 'lsp'\" >&2", "exit 2" }, old)
  vim.fn.setfperm(old, "rwx------")
  local messages = {}
  local notify = vim.notify
  vim.notify = function(msg)
    table.insert(messages, msg)
  end
  fgc.setup({ cmd = old })
  vim.cmd("edit " .. vim.fn.fnameescape(example))
  local got = wait_for(10000, function()
    return #messages > 0
  end)
  vim.notify = notify
  vim.fn.delete(old)
  assert(got, "no message within 10s")
  assert(messages[1]:find("exited with status 2", 1, true), "message: " .. messages[1])
  assert(messages[1]:find("`fgc lsp` must exist", 1, true), "message: " .. messages[1])
  stop_all()
  vim.cmd("silent! %bwipeout!")
end)

-- ------------------------------------------------------------ LSP client (fgc lsp)

check("an LSP client attaches with `fgc lsp` (" .. fgc_bin .. ")", function()
  if vim.fn.executable(fgc_bin) ~= 1 then
    local why = "no fgc binary at " .. fgc_bin .. " (build it with `cargo build -p fgc` or set FGC)"
    if require_lsp then
      error(why)
    end
    skip(why)
  end
  -- clap exits 0 for `fgc lsp --help` when the command exists and 2 when it does not.
  local help = vim.fn.system({ fgc_bin, "lsp", "--help" })
  if vim.v.shell_error ~= 0 then
    local why = string.format(
      "%s has no `lsp` command yet (the language server, issue 4): `fgc lsp --help` exited %d: %s",
      fgc_bin,
      vim.v.shell_error,
      (help:gsub("%s+", " "):sub(1, 120))
    )
    if require_lsp then
      error(why)
    end
    skip(why)
  end
  vim.cmd("silent! %bwipeout!")
  stop_all()
  local attached
  fgc.setup({
    cmd = { fgc_bin, "lsp" },
    on_attach = function(client)
      attached = client
    end,
  })
  vim.cmd("edit " .. vim.fn.fnameescape(example))
  assert(wait_for(15000, function()
    return attached ~= nil
  end), "no client attached within 15s")
  eq(attached.name, "fgc", "client name")
  eq(attached.config.root_dir, example_root, "root_dir")
  stop_all()
end)

-- ------------------------------------------------------------ summary

local summary = string.format("%d passed, %d failed, %d skipped", counts.passed, counts.failed, counts.skipped)
if results_file then
  vim.fn.writefile({ summary }, results_file)
end
out(summary)
if counts.failed > 0 then
  vim.cmd("cquit 1")
else
  vim.cmd("qall!")
end
