-- fgc for Neovim: starts the built-in LSP client with `fgc lsp` for `.fg` buffers.
--
--   require("fgc").setup({
--     cmd = { "fgc", "lsp" },            -- or a path: cmd = "/path/to/fgc"
--     root_markers = { ".git" },         -- the root is the nearest folder with one of these
--     on_attach = function(client, bufnr) end,
--   })
--
-- Works with Neovim 0.7 and newer: `vim.lsp.start` where it exists (0.8+), else
-- `vim.lsp.start_client` with one client per root directory.

local M = {}

local defaults = {
  -- The server command: a list (`{ "fgc", "lsp" }`), or a string naming the fgc binary.
  cmd = { "fgc", "lsp" },
  -- Folders that mark a project root; the file's own folder when none is found.
  root_markers = { ".git" },
  -- The client's name in :LspInfo, :checkhealth and logs.
  name = "fgc",
  -- Passed through to the client.
  on_attach = nil,
  capabilities = nil,
  settings = nil,
  init_options = nil,
  -- Start the client automatically for every `fg` buffer.
  autostart = true,
}

M.config = vim.deepcopy(defaults)

local warned = {}
-- Neovim 0.7 only: the client started for each root directory.
local by_root = {}

local function notify(msg, level)
  vim.schedule(function()
    vim.notify("fgc: " .. msg, level or vim.log.levels.WARN)
  end)
end

--- The server command as a list: a string names the fgc binary, `lsp` is added.
function M.command()
  local cmd = M.config.cmd
  if type(cmd) == "string" then
    cmd = { cmd, "lsp" }
  else
    cmd = vim.deepcopy(cmd)
  end
  -- `~/…` and `$HOME/…` are welcome in the configuration; the process spawner takes paths.
  if cmd[1]:match("^~") or cmd[1]:match("%$") then
    cmd[1] = vim.fn.expand(cmd[1])
  end
  return cmd
end

local uv = vim.uv or vim.loop

local function dirname(path)
  if vim.fs and vim.fs.dirname then
    return vim.fs.dirname(path)
  end
  return vim.fn.fnamemodify(path, ":h")
end

--- The root directory for `path`: the nearest ancestor folder that holds one of the
--- markers, else the file's own folder.
function M.find_root(path, markers)
  markers = markers or M.config.root_markers
  local start = path
  local stat = uv.fs_stat(path)
  if not stat or stat.type ~= "directory" then
    start = dirname(path)
  end
  local dir = start
  while dir and dir ~= "" do
    for _, marker in ipairs(markers) do
      if uv.fs_stat(dir .. "/" .. marker) then
        return dir
      end
    end
    local parent = dirname(dir)
    if parent == dir then
      break
    end
    dir = parent
  end
  return start
end

local initialized = {}

local function client_config(root_dir)
  local cmd = M.command()
  return {
    name = M.config.name,
    cmd = cmd,
    on_init = function(client)
      initialized[client.id] = true
    end,
    on_exit = function(code, signal, client_id)
      if code ~= 0 and not initialized[client_id] then
        -- Exit status 2 is clap's "unrecognized subcommand": an fgc older than `fgc lsp`.
        local hint = code == 2 and " Is this fgc older than its language server? `fgc lsp` must exist." or ""
        notify(
          string.format("%q exited with status %d (signal %d) before it started.%s", table.concat(cmd, " "), code, signal or 0, hint),
          vim.log.levels.ERROR
        )
      end
      initialized[client_id] = nil
    end,
    root_dir = root_dir,
    workspace_folders = {
      { uri = vim.uri_from_fname(root_dir), name = root_dir },
    },
    on_attach = M.config.on_attach,
    capabilities = M.config.capabilities or vim.lsp.protocol.make_client_capabilities(),
    settings = M.config.settings,
    init_options = M.config.init_options,
  }
end

local function clients()
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ name = M.config.name })
  end
  local found, seen = {}, {}
  for _, client in pairs(vim.lsp.get_active_clients()) do
    if client.name == M.config.name then
      table.insert(found, client)
      seen[client.id] = true
    end
  end
  -- Neovim 0.7 lists a client as active only once it has initialised.
  for _, id in pairs(by_root) do
    local client = vim.lsp.get_client_by_id(id)
    if client and not seen[id] and not client.is_stopped() then
      table.insert(found, client)
    end
  end
  return found
end

--- Starts (or reuses) the client for `bufnr` and attaches it. Returns the client id, or
--- nil when the buffer is not an fg file or the command is not executable.
function M.start(bufnr)
  if bufnr == nil or bufnr == 0 then
    bufnr = vim.api.nvim_get_current_buf()
  end
  if not vim.api.nvim_buf_is_valid(bufnr) or vim.bo[bufnr].filetype ~= "fg" then
    return nil
  end
  local cmd = M.command()
  if vim.fn.executable(cmd[1]) ~= 1 then
    if not warned[cmd[1]] then
      warned[cmd[1]] = true
      notify(
        string.format(
          "cannot start the language server: %q is not an executable. Install fgc "
            .. "(`cargo install --path crates/fgc`) or set the path: "
            .. 'require("fgc").setup({ cmd = { "/path/to/fgc", "lsp" } })',
          cmd[1]
        ),
        vim.log.levels.ERROR
      )
    end
    return nil
  end

  local name = vim.api.nvim_buf_get_name(bufnr)
  local root_dir = name ~= "" and M.find_root(name) or vim.fn.getcwd()
  local config = client_config(root_dir)

  if vim.lsp.start then
    return vim.lsp.start(config, { bufnr = bufnr })
  end

  -- Neovim 0.7: one client per root directory, attached to each of its buffers. A client
  -- is listed as active only once it has initialised, so the plugin keeps its own map.
  local existing = by_root[root_dir] and vim.lsp.get_client_by_id(by_root[root_dir])
  if existing and not existing.is_stopped() then
    vim.lsp.buf_attach_client(bufnr, existing.id)
    return existing.id
  end
  local id = vim.lsp.start_client(config)
  if id then
    by_root[root_dir] = id
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

--- Stops every fgc client.
function M.stop()
  for _, client in ipairs(clients()) do
    client.stop()
  end
end

--- Stops the clients and starts them again for every loaded fg buffer.
function M.restart()
  M.stop()
  local buffers = vim.tbl_filter(function(b)
    return vim.api.nvim_buf_is_loaded(b) and vim.bo[b].filetype == "fg"
  end, vim.api.nvim_list_bufs())
  local tries = 0
  local timer = uv.new_timer()
  -- Wait for the old clients to exit, so that the new ones are not handed their buffers.
  timer:start(100, 100, vim.schedule_wrap(function()
    tries = tries + 1
    if #clients() == 0 or tries > 50 then
      timer:stop()
      timer:close()
      for _, b in ipairs(buffers) do
        M.start(b)
      end
    end
  end))
end

--- Configures the plugin and starts the client for fg buffers, now and later.
function M.setup(opts)
  opts = opts or {}
  local cmd = opts.cmd
  opts.cmd = nil
  M.config = vim.tbl_deep_extend("force", vim.deepcopy(defaults), opts)
  if cmd ~= nil then
    M.config.cmd = cmd -- a list replaces the default rather than merging with it
  end
  if type(M.config.cmd) ~= "string" and (type(M.config.cmd) ~= "table" or #M.config.cmd == 0) then
    error("fgc: cmd must be a string or a non-empty list, got " .. vim.inspect(M.config.cmd))
  end

  -- The ftdetect script does this when the plugin is on the runtimepath; this covers
  -- setups that load only the Lua module.
  if vim.filetype and vim.filetype.add then
    vim.filetype.add({ extension = { fg = "fg" } })
  end

  local group = vim.api.nvim_create_augroup("fgc", { clear = true })
  if M.config.autostart then
    vim.api.nvim_create_autocmd("FileType", {
      group = group,
      pattern = "fg",
      callback = function(args)
        M.start(args.buf)
      end,
      desc = "Start the fgc language server",
    })
    for _, b in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(b) and vim.bo[b].filetype == "fg" then
        M.start(b)
      end
    end
  end

  vim.api.nvim_create_user_command("FgcRestart", M.restart, { desc = "Restart the fgc language server" })
  vim.api.nvim_create_user_command("FgcStop", M.stop, { desc = "Stop the fgc language server" })
  return M
end

return M
