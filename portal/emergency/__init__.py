"""Emergency plans (突发环境事件应急预案) and incidents with their drafted response schemes."""
