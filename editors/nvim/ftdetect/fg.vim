" .fg: the declarative language of fgc for AWS ECS Fargate stacks.
autocmd BufRead,BufNewFile *.fg setfiletype fg
