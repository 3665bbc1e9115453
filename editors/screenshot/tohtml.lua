-- Renders the current buffer as an editor window in HTML: the plugin's syntax
-- highlighting, line numbers, and diagnostics as Neovim shows them (sign, underline,
-- virtual text, and an open diagnostic float).
--
-- Neovim 0.7's :TOhtml (Debian's) knows nothing of diagnostics, so this small renderer
-- reads the same sources: the syntax groups of syntax/fg.vim (synID) and the
-- diagnostics set with vim.diagnostic.set from `fgc check --format json`.
--
--   FG_JSON=diag.json FG_HTML=out.html nvim --headless --clean \
--     --cmd "set rtp^=editors/nvim" -c "luafile editors/screenshot/tohtml.lua" FILE
--
-- Writes FG_HTML, and FG_HTML.size with "WIDTH,HEIGHT" in CSS pixels.

local json_path = os.getenv("FG_JSON")
local html_path = assert(os.getenv("FG_HTML"), "FG_HTML is not set")
local title = os.getenv("FG_TITLE") or vim.fn.expand("%:t")

local FONT_PX = 15
local LINE_PX = 23
local CHAR_PX = FONT_PX * 0.6 -- the advance of JetBrains Mono and DejaVu Sans Mono

local buf = vim.api.nvim_get_current_buf()
local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
local ns = vim.api.nvim_create_namespace("fgc-check")
local S = vim.diagnostic.severity

-- ------------------------------------------------------------ diagnostics

local extra = {} -- help and fixes, by "lnum:col"

local function read_json(path)
  local text = table.concat(vim.fn.readfile(path), "\n")
  return vim.fn.json_decode(text)
end

if json_path and json_path ~= "" then
  local report = read_json(json_path)
  local diagnostics = {}
  local severities = { error = S.ERROR, warning = S.WARN }
  for _, d in ipairs(report.diagnostics or {}) do
    local span = d.span
    table.insert(diagnostics, {
      lnum = span.line - 1,
      col = span.column - 1,
      end_lnum = span.end_line - 1,
      end_col = span.end_column - 1,
      severity = severities[d.severity] or S.INFO,
      message = d.message,
      code = d.code,
      source = "fgc",
    })
    extra[(span.line - 1) .. ":" .. (span.column - 1)] = { help = d.help, label = d.label, fixes = d.fixes }
    -- Secondary labels (`CPU size set here`) as hints where they point.
    for _, l in ipairs(d.labels or {}) do
      table.insert(diagnostics, {
        lnum = l.span.line - 1,
        col = l.span.column - 1,
        end_lnum = l.span.end_line - 1,
        end_col = l.span.end_column - 1,
        severity = S.HINT,
        message = l.message,
        source = "fgc",
      })
    end
  end
  vim.diagnostic.set(ns, buf, diagnostics)
end

-- Read back through the API, as any diagnostic consumer would.
local diagnostics = vim.diagnostic.get(buf)
table.sort(diagnostics, function(a, b)
  if a.lnum ~= b.lnum then
    return a.lnum < b.lnum
  end
  return a.severity < b.severity
end)

-- ------------------------------------------------------------ highlighting

local link_cache = {}

-- The standard group an fg group links to (fgSize -> Number), which the CSS colours.
local function class_of(id)
  local name = vim.fn.synIDattr(id, "name")
  if name == "" then
    return nil
  end
  if link_cache[name] == nil then
    local target = name
    for _ = 1, 5 do
      if not target:match("^fg") then
        break
      end
      local linked = vim.fn.execute("highlight " .. target):match("links to (%S+)")
      if not linked then
        break
      end
      target = linked
    end
    link_cache[name] = target
  end
  return link_cache[name]
end

local function escape(s)
  return (s:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"):gsub('"', "&quot;"))
end

local sev_name = { [S.ERROR] = "error", [S.WARN] = "warn", [S.INFO] = "info", [S.HINT] = "hint" }
local sign_text = { [S.ERROR] = "E", [S.WARN] = "W", [S.INFO] = "I", [S.HINT] = "H" }

-- The classes of every byte of line `i` (1-based): syntax, and the underline of a
-- diagnostic that covers it.
local function line_html(i)
  local line = lines[i]
  local classes = {}
  for col = 1, #line do
    local cls = class_of(vim.fn.synID(i, col, 1)) or ""
    for _, d in ipairs(diagnostics) do
      local from = d.lnum < i - 1 and 0 or (d.lnum == i - 1 and d.col or math.huge)
      local to = d.end_lnum > i - 1 and math.huge or (d.end_lnum == i - 1 and d.end_col or -1)
      if col - 1 >= from and col - 1 < to then
        cls = cls .. " u-" .. sev_name[d.severity]
        break
      end
    end
    classes[col] = cls
  end
  local out, start = {}, 1
  for col = 2, #line + 1 do
    if col > #line or classes[col] ~= classes[start] then
      local text = escape(line:sub(start, col - 1))
      if classes[start] == "" then
        table.insert(out, text)
      else
        table.insert(out, string.format('<span class="%s">%s</span>', classes[start], text))
      end
      start = col
    end
  end
  return table.concat(out)
end

-- ------------------------------------------------------------ layout

local by_line = {}
for _, d in ipairs(diagnostics) do
  by_line[d.lnum] = by_line[d.lnum] or {}
  table.insert(by_line[d.lnum], d)
end

local width_cols = 0
local rows = {}
local number_width = #tostring(#lines)

for i, line in ipairs(lines) do
  local ds = by_line[i - 1] or {}
  local sign = ""
  if ds[1] then
    sign = string.format('<span class="sign-%s">%s</span>', sev_name[ds[1].severity], sign_text[ds[1].severity])
  end
  local virt = {}
  for _, d in ipairs(ds) do
    local code = d.code and (d.code .. ": ") or ""
    table.insert(virt, string.format('<span class="virt-%s">■ %s%s</span>', sev_name[d.severity], escape(code), escape(d.message)))
  end
  local virt_cols = 0
  for _, d in ipairs(ds) do
    virt_cols = virt_cols + vim.fn.strdisplaywidth(d.message) + (d.code and #d.code + 2 or 0) + 3
  end
  width_cols = math.max(width_cols, vim.fn.strdisplaywidth(line) + (virt_cols > 0 and virt_cols + 3 or 0))
  table.insert(rows, string.format(
    '<div class="row%s"><span class="sign">%s</span><span class="nr">%s</span><span class="code">%s%s</span></div>',
    ds[1] and " has-diag" or "",
    sign ~= "" and sign or " ",
    string.format("%" .. number_width .. "d", i),
    line_html(i),
    #virt > 0 and ("   " .. table.concat(virt, " ")) or ""
  ))
end

-- The diagnostic float (`vim.diagnostic.open_float`) under the first error.
local float_html = ""
local first
for _, d in ipairs(diagnostics) do
  if d.severity == S.ERROR then
    first = d
    break
  end
end
if first then
  local info = extra[first.lnum .. ":" .. first.col] or {}
  local parts = {
    string.format('<div class="float-title">%s <span class="float-code">%s</span></div>', escape(first.message), escape(first.code or "")),
  }
  if info.label and info.label ~= "" then
    table.insert(parts, string.format('<div class="float-label">%s</div>', escape(info.label)))
  end
  if info.help and info.help ~= vim.NIL and info.help ~= "" then
    local help = escape(info.help):gsub("`([^`]*)`", "<code>%1</code>")
    table.insert(parts, string.format('<div class="float-help"><b>help:</b> %s</div>', help))
  end
  for _, fix in ipairs(info.fixes or {}) do
    local t = escape(fix.title):gsub("`([^`]*)`", "<code>%1</code>")
    table.insert(parts, string.format('<div class="float-fix"><b>fix:</b> %s</div>', t))
  end
  -- The buffer's padding, then the row below the error; the sign column, the number
  -- and its margin, then the error's column.
  -- The float is as wide as its longest line; the window grows to hold it.
  local texts = { first.message .. " " .. (first.code or ""), info.label or "" }
  if info.help and info.help ~= vim.NIL then
    table.insert(texts, "help: " .. info.help:gsub("`", ""))
  end
  for _, fix in ipairs(info.fixes or {}) do
    table.insert(texts, "fix: " .. fix.title:gsub("`", ""))
  end
  local float_cols = 0
  for _, t in ipairs(texts) do
    float_cols = math.max(float_cols, vim.fn.strdisplaywidth(t))
  end
  width_cols = math.max(width_cols, first.col + float_cols + 4)
  local top = 12 + (first.lnum + 1) * LINE_PX + 4
  local left = math.floor((2 + number_width + 2 + first.col) * CHAR_PX)
  float_html = string.format('<div class="float" style="top:%dpx;left:%dpx">%s</div>', top, left, table.concat(parts))
end

local errors, hints = 0, 0
for _, d in ipairs(diagnostics) do
  if d.severity == S.ERROR then
    errors = errors + 1
  elseif d.severity == S.HINT then
    hints = hints + 1
  end
end
local cursor = first and string.format("%d:%d", first.lnum + 1, first.col + 1) or "1:1"
local status = string.format(
  '<div class="status"><span class="mode">NORMAL</span><span class="file">%s</span><span class="fill"></span>'
    .. '<span class="diag-count">%s</span><span class="ft">fg</span><span class="lsp">fgc</span><span class="pos">%s</span></div>',
  escape(title),
  errors > 0 and string.format('<span class="sign-error">E %d</span>', errors) or "",
  cursor
)

-- The page: body padding around the window; the window: the title bar, the buffer (its
-- padding, the sign column, the numbers and the text) and the status line.
local window_px = math.max(900, math.ceil((2 + number_width + 2 + width_cols) * CHAR_PX) + 24)
local width = window_px + 64
local height = 34 + (#lines * LINE_PX + 24) + 28 + 64

local html = [[<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>]] .. escape(title) .. [[</title>
<style>
  html, body { margin: 0; background: #15171c; }
  body { padding: 32px; font: ]] .. FONT_PX .. [[px/]] .. LINE_PX .. [[px "JetBrains Mono", "DejaVu Sans Mono", monospace;
         font-variant-ligatures: none; color: #c5cad3; }
  .window { display: inline-block; background: #22252b; border-radius: 10px;
            box-shadow: 0 12px 36px rgba(0,0,0,.55); overflow: hidden; }
  .titlebar { height: 34px; display: flex; align-items: center; padding: 0 14px; background: #1b1d22;
              font: 13px/34px "DejaVu Sans", sans-serif; color: #8a909c; }
  .dot { width: 12px; height: 12px; border-radius: 50%; margin-right: 8px; }
  .titlebar .name { margin-left: 12px; }
  .buffer { position: relative; padding: 12px 24px 12px 0; white-space: pre; }
  .row { height: ]] .. LINE_PX .. [[px; }
  .row.has-diag { background: rgba(255,255,255,.025); }
  .sign { display: inline-block; width: 2ch; text-align: center; font-weight: bold; }
  .nr { display: inline-block; color: #4b5263; margin-right: 2ch; }
  .has-diag .nr { color: #8a909c; }
  .status { display: flex; height: 28px; line-height: 28px; background: #2c313a; color: #abb2bf; font-size: 13px; }
  .status > span { padding: 0 12px; }
  .status .mode { background: #61afef; color: #1b1d22; font-weight: bold; }
  .status .fill { flex: 1; }
  .status .ft, .status .lsp { color: #8a909c; }
  .status .pos { background: #3e4451; }

  .Comment { color: #7f848e; font-style: italic; }
  .SpecialComment { color: #8e99ab; font-style: italic; }
  .Todo { color: #e5c07b; font-weight: bold; }
  .Structure, .Include, .StorageClass { color: #c678dd; font-weight: bold; }
  .Keyword { color: #c678dd; }
  .Function { color: #61afef; }
  .Type { color: #e5c07b; }
  .Identifier { color: #e06c75; }
  .String { color: #98c379; }
  .SpecialChar, .Special, .Delimiter { color: #56b6c2; }
  .Number, .Boolean { color: #d19a66; }
  .Constant { color: #56b6c2; }
  .Operator { color: #abb2bf; }
  .Error { color: #ff6b6b; text-decoration: underline wavy #ff6b6b; }

  .u-error { text-decoration: underline wavy #ff6b6b; text-underline-offset: 3px; text-decoration-skip-ink: none; }
  .u-warn  { text-decoration: underline wavy #e5c07b; text-underline-offset: 3px; }
  .u-hint  { text-decoration: underline dotted #7aa2c8; text-underline-offset: 3px; }
  .sign-error, .virt-error { color: #ff6b6b; }
  .sign-warn, .virt-warn { color: #e5c07b; }
  .sign-hint, .virt-hint { color: #7aa2c8; }
  .virt-error { background: rgba(255,107,107,.10); padding: 1px 6px; border-radius: 3px; }
  .virt-hint { background: rgba(122,162,200,.10); padding: 1px 6px; border-radius: 3px; }

  .float { position: absolute; z-index: 2; white-space: pre; padding: 8px 12px;
           background: #2c313a; border: 1px solid #4b5263; border-radius: 6px;
           box-shadow: 0 6px 18px rgba(0,0,0,.45); line-height: 21px; }
  .float-title { color: #ff6b6b; }
  .float-code { color: #8a909c; }
  .float-label { color: #c5cad3; }
  .float-help { color: #c5cad3; }
  .float-help b { color: #56b6c2; font-weight: normal; }
  .float-fix { color: #c5cad3; }
  .float-fix b { color: #98c379; font-weight: normal; }
  code { color: #e5c07b; font-family: inherit; }
</style>
</head>
<body>
<div class="window" style="width: ]] .. window_px .. [[px">
<div class="titlebar"><span class="dot" style="background:#ff5f57"></span><span class="dot" style="background:#febc2e"></span><span class="dot" style="background:#28c840"></span><span class="name">]]
  .. escape(title)
  .. [[ — nvim</span></div>
<div class="buffer">]]
  .. table.concat(rows)
  .. float_html
  .. [[</div>
]]
  .. status
  .. [[
</div>
</body>
</html>
]]

vim.fn.writefile(vim.split(html, "\n", { plain = true }), html_path)
vim.fn.writefile({ string.format("%d,%d", width, height) }, html_path .. ".size")
vim.cmd("qall!")
