" Indentation for .fg: one shiftwidth per open brace, bracket or parenthesis.

if exists('b:did_indent')
  finish
endif
let b:did_indent = 1

setlocal autoindent nosmartindent nocindent
setlocal indentexpr=GetFgIndent()
setlocal indentkeys=0{,0},0],0),!^F,o,O

let b:undo_indent = 'setlocal autoindent< smartindent< cindent< indentexpr< indentkeys<'

if exists('*GetFgIndent')
  finish
endif

" A line without its strings and comments, so that their brackets do not count.
function! s:Code(lnum) abort
  let line = getline(a:lnum)
  let line = substitute(line, '"\%(\\.\|[^"\\]\)*"\=', '""', 'g')
  let line = substitute(line, '/\*.\{-}\*/', '', 'g')
  let line = substitute(line, '//.*$', '', '')
  return line
endfunction

function! GetFgIndent() abort
  let prev = prevnonblank(v:lnum - 1)
  if prev == 0
    return 0
  endif
  let code = s:Code(prev)
  let opens = len(substitute(code, '[^{[(]', '', 'g'))
  let closes = len(substitute(code, '[^}\])]', '', 'g'))
  " Closers at the start of the previous line already outdented it.
  let leading = len(substitute(matchstr(code, '^\%(\s*[}\])]\)\+'), '\s', '', 'g'))
  let ind = indent(prev)
  let balance = opens - (closes - leading)
  if balance > 0
    let ind += shiftwidth()
  elseif balance < 0
    let ind -= shiftwidth()
  endif
  if getline(v:lnum) =~# '^\s*[}\])]'
    let ind -= shiftwidth()
  endif
  return max([ind, 0])
endfunction
