" Vim syntax file
" Language:    fg — fgc's declarative language for AWS ECS Fargate stacks
" Filenames:   *.fg
"
" The same token classes as the VS Code TextMate grammar (editors/vscode/syntaxes):
" declarations and their names, nested and labelled blocks, attribute keys, statements,
" numbers with units, CIDR blocks, strings with escapes and ${…} interpolation, env
" selections, calls, booleans, stdlib enum values, comments and doc comments, and the
" standard library's kind/schema/enum definitions.
"
" When several items match at the same column, the one defined last wins: general
" patterns come first and the more specific ones after them.

if exists('b:current_syntax')
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

syn case match
syn sync fromstart

" An identifier (may contain `-`, but not start or end with one), and word boundaries
" that treat `-` as part of a word.
let s:id = '\h\%([0-9A-Za-z_]\|-[0-9A-Za-z_]\@=\)*'
let s:b = '\%([0-9A-Za-z_-]\)\@<!'
let s:e = '\%([0-9A-Za-z_]\|-[0-9A-Za-z_]\)\@!'
let s:num = '\%([0-9A-Za-z_.]\)\@<!-\=\d\+\%(\.\d\+\)\='

" The standard library's enum values, kinds, types and the checker's built-in functions.
let s:enums = 'all_at_once\|blue_green\|canary\|complete\|cpu\|ecr\|healthy\|http_5xx\|https\|http'
      \ . '\|iam\|jwt\|immutable\|internal\|linear\|logs\|memory\|mutable\|mysql\|none\|on_demand'
      \ . '\|per_zone\|postgres\|private\|public\|requests\|rolling\|s3\|secretsmanager\|single'
      \ . '\|spot\|ssm\|start\|success\|unhealthy\|deny\|warn'
let s:kinds = 'service\|network\|balancer\|database\|policy\|repository\|api'
let s:prims = 'string\|text\|int\|number\|bool\|size\|duration\|percent\|cidr\|port\|cpu'
      \ . '\|name\|secret\|action\|adjustment\|data\|list\|map\|ref\|blocks'
let s:builtins = 'ssm\|secret\|forward\|respond\|redirect'

" ---------------------------------------------------------------- values

exe 'syn match fgEnumConst /' . s:b . '\%(' . s:enums . '\)' . s:e . '\%(\s*[=:(]\|\.\)\@!/'
exe 'syn match fgCall /' . s:b . s:id . '\ze\s*(/'
exe 'syn match fgBuiltin /' . s:b . '\%(' . s:builtins . '\)\ze\s*(/'
exe 'syn match fgBoolean /' . s:b . '\%(true\|false\)' . s:e . '/'

exe 'syn match fgNumber /' . s:num . '\%([0-9A-Za-z_.%]\)\@!/'
exe 'syn match fgBadUnitNumber /' . s:num . '\a\+\>/ contains=fgBadUnit'
exe 'syn match fgSize /' . s:num . '\%(KiB\|MiB\|GiB\|TiB\)\>/ contains=fgUnit'
exe 'syn match fgDuration /' . s:num . '\%(ms\|s\|m\|h\|d\)\>/ contains=fgUnit'
exe 'syn match fgPercent /' . s:num . '%/ contains=fgUnit'
exe 'syn match fgCpu /' . s:num . 'vcpu\>/ contains=fgUnit'
syn match fgUnit /\a\+\|%/ contained
syn match fgBadUnit /\a\+/ contained
syn match fgCidr /\%([0-9A-Za-z_.]\)\@<!\d\+\%(\.\d\+\)\{3}\/\d\+\>/

syn region fgString start=/"/ skip=/\\\\\|\\"/ end=/"\|$/ oneline contains=fgBadEscape,fgEscape,fgInterp
syn match fgBadEscape /\\./ contained
syn match fgEscape /\\\%([ntr"\\$]\|u{\x\{1,6}}\)/ contained
syn region fgInterp matchgroup=fgInterpDelim start=/\${/ end=/}/ oneline contained contains=fgInterpBad,fgInterpPath
syn match fgInterpBad /[^}]/ contained
exe 'syn match fgInterpPath /' . s:id . '\%(\.' . s:id . '\)*/ contained'

syn match fgOperator /[=:]/
syn match fgSpread /\.\.\./
syn match fgArrow /->\|=>/
syn match fgComparison />=\|<=\|>\|</

" ---------------------------------------------------------------- blocks and statements

" `health {`, `listener https {`, `sidecar "log-router" {`
exe 'syn match fgBlockName /' . s:b . s:id . '\ze\%(\s\+\%(' . s:id . '\|"[^"]*"\)\)\=\s*{/ nextgroup=fgBlockLabel skipwhite'
exe 'syn match fgBlockLabel /' . s:id . '\ze\s*{/ contained'

exe 'syn match fgStatement /' . s:b . '\%(route\|priority\|for\)' . s:e . '\%(\s*[=:]\)\@!/'
exe 'syn match fgStatement /' . s:b . 'host' . s:e . '\ze\s*"/'
exe 'syn match fgStatement /' . s:b . '\%(step\|target\)' . s:e . '\ze\s\+\h/ nextgroup=fgMetric skipwhite'
exe 'syn match fgMetric /' . s:id . '/ contained'
syn match fgStatement /\%(\d\s\+\)\@<=x\ze\s/
syn match fgAdjustment /\%(=>\s*\)\@<=[+-]\=\d\+%\=/

" env { dev = 1, prod = 3, _ = 2 }
exe 'syn match fgEnvKw /' . s:b . 'env\ze\s*{/'
syn region fgEnv matchgroup=fgBrace start=/\%(\<env\s*\)\@<={/ end=/}/ contains=@fgTop,fgEnvArm,fgWildcard,fgBraces
syn region fgBraces matchgroup=fgBrace start=/{/ end=/}/ contained transparent contains=@fgTop,fgBraces

" ---------------------------------------------------------------- declarations

exe 'syn match fgDeclOther /^' . s:id . '\ze\s\+' . s:id . '\s*{/ nextgroup=fgDeclName skipwhite'
exe 'syn match fgDeclKind /^\s*\zs\%(' . s:kinds . '\)' . s:e . '\ze\%(\s\+\h\|\s*{\|\s*$\)/ nextgroup=fgDeclName skipwhite'
exe 'syn match fgDeclName /' . s:id . '/ contained'
syn match fgApp /^\s*\zsapp\ze\%(\s\|"\|$\)/
exe 'syn match fgImport /' . s:b . 'import' . s:e . '/'
exe 'syn match fgLet /' . s:b . 'let' . s:e . '\ze\s\+\h/ nextgroup=fgLetName skipwhite'
exe 'syn match fgLetName /' . s:id . '/ contained'

" ---------------------------------------------------------------- attribute keys

exe 'syn match fgAttrKey /' . s:b . s:id . '\ze\s*\%(=[=>]\@!\|:\)/'
syn match fgAttrKeyString /"\%(\\.\|[^"\\]\)*"\ze\s*\%(=[=>]\@!\|:\)/
" Inside env { … } the keys are environment names.
exe 'syn match fgEnvArm /' . s:b . s:id . '\ze\s*\%(=[=>]\@!\|:\)/ contained'
syn match fgWildcard /\<_\ze\s*[=:]/ contained

" Standard library (after the attribute keys, which `field: type` also looks like): kind/schema NAME { [out] field: type = default }, enum NAME { … }
syn region fgSchema matchgroup=fgSchemaKw start=/^\s*\zs\%(kind\|schema\)\ze\s\+\h/ matchgroup=NONE end=/^\s*}/
      \ contains=fgSchemaName,fgOut,fgFieldName,@fgTop
syn region fgEnumDecl matchgroup=fgSchemaKw start=/^\s*\zsenum\ze\s\+\h/ matchgroup=NONE end=/}/
      \ contains=fgEnumMember,fgSchemaName,@fgComments
exe 'syn match fgEnumMember /' . s:b . s:id . '/ contained'
syn match fgSchemaName /\%(\%(kind\|schema\|enum\)\s\+\)\@<=\h\w*/ contained
syn match fgOut /^\s*\zsout\ze\s\+\h/ contained
exe 'syn match fgFieldName /' . s:b . s:id . '\ze\s*:/ contained nextgroup=fgFieldColon'
syn match fgFieldColon /\s*:/ contained nextgroup=fgFieldType skipwhite
syn match fgFieldType /[^=,}/]\+/ contained contains=fgTypeName,fgPrimType,fgTypeOp
exe 'syn match fgTypeName /' . s:id . '/ contained'
exe 'syn match fgPrimType /' . s:b . '\%(' . s:prims . '\)' . s:e . '/ contained'
syn match fgTypeOp /[<>|?]/ contained

" ---------------------------------------------------------------- comments

syn keyword fgTodo TODO FIXME XXX NOTE contained
syn match fgComment +//.*$+ contains=fgTodo,@Spell
syn match fgDocComment +///\/\@!.*$+ contains=fgTodo,fgDocCode,@Spell
syn match fgDocCode /`[^`]*`/ contained
syn region fgBlockComment start=+/\*+ end=+\*/+ contains=fgBlockComment,fgTodo,@Spell

syn cluster fgComments contains=fgComment,fgDocComment,fgBlockComment
syn cluster fgTop contains=@fgComments,fgEnumConst,fgCall,fgBuiltin,fgBoolean,fgNumber,
      \fgBadUnitNumber,fgSize,fgDuration,fgPercent,fgCpu,fgCidr,fgString,fgOperator,fgSpread,
      \fgArrow,fgComparison,fgBlockName,fgStatement,fgAdjustment,fgEnvKw,fgEnv,fgAttrKey,
      \fgAttrKeyString

" ---------------------------------------------------------------- highlighting

hi def link fgComment       Comment
hi def link fgBlockComment  Comment
hi def link fgDocComment    SpecialComment
hi def link fgDocCode       Special
hi def link fgTodo          Todo

hi def link fgDeclKind      Structure
hi def link fgDeclOther     Structure
hi def link fgApp           Structure
hi def link fgLet           Structure
hi def link fgSchemaKw      Structure
hi def link fgImport        Include
hi def link fgDeclName      Function
hi def link fgLetName       Function
hi def link fgSchemaName    Function
hi def link fgBlockLabel    Function
hi def link fgBlockName     Type
hi def link fgAttrKey       Identifier
hi def link fgAttrKeyString Identifier
hi def link fgFieldName     Identifier
hi def link fgOut           StorageClass
hi def link fgPrimType      Type
hi def link fgTypeName      Type
hi def link fgTypeOp        Operator

hi def link fgStatement     Keyword
hi def link fgEnvKw         Keyword
hi def link fgMetric        Constant
hi def link fgEnvArm        Constant
hi def link fgWildcard      Special
hi def link fgEnumConst     Constant
hi def link fgEnumMember    Constant

hi def link fgNumber        Number
hi def link fgSize          Number
hi def link fgDuration      Number
hi def link fgPercent       Number
hi def link fgCpu           Number
hi def link fgUnit          Number
hi def link fgCidr          Number
hi def link fgAdjustment    Number
hi def link fgBadUnitNumber Number
hi def link fgBadUnit       Error
hi def link fgBoolean       Boolean

hi def link fgString        String
hi def link fgEscape        SpecialChar
hi def link fgBadEscape     Error
hi def link fgInterpDelim   Delimiter
hi def link fgInterpPath    Identifier
hi def link fgInterpBad     Error

hi def link fgBuiltin       Function
hi def link fgCall          Function
hi def link fgOperator      Operator
hi def link fgSpread        Operator
hi def link fgArrow         Operator
hi def link fgComparison    Operator

let b:current_syntax = 'fg'

let &cpo = s:cpo_save
unlet s:cpo_save
