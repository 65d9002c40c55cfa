include:
  - rabbitmq.package
  - rabbitmq.config
  - rabbitmq.service
  - rabbitmq.users
