" Filetype settings for .fg (fgc's language for AWS ECS Fargate stacks).

if exists('b:did_ftplugin')
  finish
endif
let b:did_ftplugin = 1

" `gc` (and commentary plugins) comment with //; `///` doc comments continue on Enter
" and with `o`, as do `//` comments.
setlocal commentstring=//\ %s
setlocal comments=s1:/*,mb:*,ex:*/,:///,://
setlocal formatoptions-=t formatoptions+=croqlj

" Two spaces, as every example and `fgc fmt` write.
setlocal expandtab shiftwidth=2 softtabstop=2

" Identifiers may contain `-` (`product-svc`): `*`, `w` and completion see one word.
setlocal iskeyword+=-

" `gf` on an import path.
setlocal suffixesadd=.fg

let b:undo_ftplugin = 'setlocal commentstring< comments< formatoptions< expandtab<'
      \ . ' shiftwidth< softtabstop< iskeyword< suffixesadd<'
