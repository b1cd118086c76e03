// Switchboard in Azure: one resource group with the Function App (Flex Consumption, Python 3.11),
// its storage, monitoring and Azure Bot, all under one user-assigned managed identity; and that
// identity's custom role — generated from the action catalog — on the operable scopes.
// Deploy with `azd up` (main.bicepparam) or `az deployment sub create` (dev/prod.bicepparam):
// docs/deployment.md.

targetScope = 'subscription'

@description('Short name of this environment (dev, prod …): part of every resource name.')
@minLength(1)
@maxLength(16)
param environmentName string

@description('Azure region of the resource group and its resources; one that offers Flex Consumption.')
param location string

@description('''The subscriptions and resource groups Switchboard may operate on, as resource ids:
/subscriptions/<id> or /subscriptions/<id>/resourceGroups/<name>. The bot's identity gets the
generated operator role on each, and the app's settings are derived from them. At least one is
required: without a scope the bot could do nothing, and there is no "everything" default that
would let it do anything anywhere. Prefer resource groups; do not mix a whole subscription with
single groups of another subscription (the app then lists whole subscriptions).''')
@minLength(1)
param operableScopes array

@description('Entra tenant ids whose users may talk to the bot (SWITCHBOARD_ALLOWED_TENANTS). Default: this tenant.')
@minLength(1)
param allowedTenantIds array = [
  tenant().tenantId
]

@description('Entra object ids of the people who run `python -m app.policy` (bootstrap, import): Storage Table Data Contributor on the account. azd passes the deploying user.')
param operatorPrincipalIds array = []

@description('Principal type of operatorPrincipalIds.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param operatorPrincipalType string = 'User'

@description('Replication of the storage account (its tables hold the audit trail): Standard_LRS, Standard_ZRS, Standard_GRS or Standard_GZRS.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param storageSku string = 'Standard_LRS'

@description('Name of the resource group to create.')
param resourceGroupName string = 'rg-switchboard-${environmentName}'

@description('The bot\'s name in Teams.')
param botDisplayName string = 'Switchboard'

@description('E-mail address told when an alert fires; empty: alerts show in the portal only.')
param alertEmail string = ''

@description('SWITCHBOARD_LOG_LEVEL: message text is logged only at DEBUG.')
@allowed([
  'DEBUG'
  'INFO'
  'WARNING'
  'ERROR'
])
param logLevel string = 'INFO'

@description('SwitchboardStorage__timeoutSeconds: one storage call, retries included (0.5 to 60).')
param storageTimeoutSeconds string = '5'

@description('SwitchboardStorage__connectTimeoutSeconds (0.1 to 60).')
param storageConnectTimeoutSeconds string = '2'

@description('SwitchboardStorage__readTimeoutSeconds (0.1 to 60).')
param storageReadTimeoutSeconds string = '4'

@description('SWITCHBOARD_DISCOVERY_TIMEOUT_SECONDS: one discovery call (0.1 to 30).')
param discoveryTimeoutSeconds string = '3'

@description('SWITCHBOARD_APPROVERS_CHANNEL: the Teams channel (conversation id) where approval cards are also posted; empty: approvers get them in their personal chats only.')
param approversChannel string = ''

@description('SWITCHBOARD_RATE_LIMIT_PER_HOUR: requests one person may make per hour (1 to 10000).')
param rateLimitPerHour string = '20'

@description('Most instances the Function App may scale out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Days Log Analytics and Application Insights keep telemetry (30 to 730).')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

@description('Tags for every resource.')
param tags object = {}

var allTags = union(tags, { 'azd-env-name': environmentName, application: 'switchboard' })
var token = uniqueString(subscription().id, environmentName, location)
// Storage account names allow only lowercase letters and digits (azd environment names have hyphens).
var compactName = take(replace(replace(toLower(environmentName), '-', ''), '_', ''), 7)
var names = {
  identity: 'id-switchboard-${environmentName}'
  workspace: 'log-switchboard-${environmentName}'
  appInsights: 'appi-switchboard-${environmentName}'
  storage: 'stsb${compactName}${token}'
  plan: 'plan-switchboard-${environmentName}'
  functionApp: 'func-switchboard-${environmentName}-${token}'
  bot: 'bot-switchboard-${environmentName}-${token}'
  alerts: 'switchboard-${environmentName}'
  role: 'Switchboard operator (${environmentName}, ${token})'
}

// The operable scopes as the app's settings say them: every subscription named, and the resource
// group names when every scope is a resource group (a whole-subscription scope means every group).
var scopeDepths = [for candidate in operableScopes: length(split(candidate, '/'))]
var wholeSubscriptions = contains(scopeDepths, 3)
var scopeSubscriptionIds = [for candidate in operableScopes: toLower(split(candidate, '/')[2])]
var scopeGroupNames = [for candidate in operableScopes: toLower(last(split(candidate, '/')))]
var subscriptionIds = union(scopeSubscriptionIds, [])
var groupNames = union(scopeGroupNames, [])

resource group 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: resourceGroupName
  location: location
  tags: allTags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: group
  params: {
    name: names.identity
    location: location
    tags: allTags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: group
  params: {
    workspaceName: names.workspace
    appInsightsName: names.appInsights
    location: location
    tags: allTags
    publisherPrincipalId: identity.outputs.principalId
    retentionInDays: retentionInDays
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: group
  params: {
    name: names.storage
    location: location
    tags: allTags
    appPrincipalId: identity.outputs.principalId
    operatorPrincipalIds: operatorPrincipalIds
    operatorPrincipalType: operatorPrincipalType
    sku: storageSku
  }
}

// Every app setting the Function App gets. The first group is exactly what Switchboard's code
// reads (the settings sections, docs/settings.md); the rest is what the Functions host and the
// Azure libraries read. tests/unit/infra/test_settings_parity.py holds both to the code.
var appSettings = {
  MicrosoftAppId: identity.outputs.clientId
  MicrosoftAppTenantId: identity.outputs.tenantId
  MicrosoftAppType: 'UserAssignedMSI'
  SWITCHBOARD_ALLOWED_TENANTS: join(allowedTenantIds, ',')
  SwitchboardStorage__accountName: storage.outputs.name
  SwitchboardStorage__clientId: identity.outputs.clientId
  SwitchboardStorage__timeoutSeconds: storageTimeoutSeconds
  SwitchboardStorage__connectTimeoutSeconds: storageConnectTimeoutSeconds
  SwitchboardStorage__readTimeoutSeconds: storageReadTimeoutSeconds
  SWITCHBOARD_SUBSCRIPTIONS: join(subscriptionIds, ',')
  SWITCHBOARD_RESOURCE_GROUPS: wholeSubscriptions ? '' : join(groupNames, ',')
  SWITCHBOARD_DISCOVERY_TIMEOUT_SECONDS: discoveryTimeoutSeconds
  SWITCHBOARD_APPROVERS_CHANNEL: approversChannel
  SWITCHBOARD_RATE_LIMIT_PER_HOUR: rateLimitPerHour
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
  SWITCHBOARD_LOG_LEVEL: logLevel
  // The Functions host's storage, with the identity (no connection string, no key).
  AzureWebJobsStorage__accountName: storage.outputs.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.outputs.clientId
  // Telemetry with an Entra token (the component refuses keys): the host and the Azure Monitor exporter.
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=${identity.outputs.clientId}'
  // DefaultAzureCredential's user-assigned identity, for the ARM actions.
  AZURE_CLIENT_ID: identity.outputs.clientId
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: group
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    tags: allTags
    identityId: identity.outputs.id
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    appSettings: appSettings
    maximumInstanceCount: maximumInstanceCount
  }
}

module bot 'modules/bot.bicep' = {
  name: 'bot'
  scope: group
  params: {
    name: names.bot
    displayName: botDisplayName
    endpoint: 'https://${functionApp.outputs.hostName}/api/messages'
    identityClientId: identity.outputs.clientId
    identityId: identity.outputs.id
    tenantId: identity.outputs.tenantId
    tags: allTags
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: group
  params: {
    location: location
    tags: allTags
    appInsightsId: monitoring.outputs.appInsightsId
    namePrefix: names.alerts
    alertEmail: alertEmail
  }
}

// The custom role lives in the first operable scope's subscription and may be assigned on all of them.
module operatorRole 'modules/operator-role.bicep' = {
  name: 'switchboard-operator-role-${environmentName}'
  scope: subscription(split(operableScopes[0], '/')[2])
  params: {
    roleName: names.role
    assignableScopes: operableScopes
  }
}

module subscriptionAssignments 'modules/operator-assignment-subscription.bicep' = [
  for (candidate, index) in operableScopes: if (length(split(candidate, '/')) == 3) {
    name: 'switchboard-operator-${environmentName}-sub-${index}'
    scope: subscription(split(candidate, '/')[2])
    params: {
      roleDefinitionId: operatorRole.outputs.id
      principalId: identity.outputs.principalId
    }
  }
]

module groupAssignments 'modules/operator-assignment-group.bicep' = [
  for (candidate, index) in operableScopes: if (length(split(candidate, '/')) != 3) {
    name: 'switchboard-operator-${environmentName}-rg-${index}'
    scope: resourceGroup(split(candidate, '/')[2], last(split(candidate, '/')))
    params: {
      roleDefinitionId: operatorRole.outputs.id
      principalId: identity.outputs.principalId
    }
  }
]

// Every app setting, by its own name (azd writes outputs into its environment: `azd env get-values`).
output MicrosoftAppId string = appSettings.MicrosoftAppId
output MicrosoftAppTenantId string = appSettings.MicrosoftAppTenantId
output MicrosoftAppType string = appSettings.MicrosoftAppType
output SWITCHBOARD_ALLOWED_TENANTS string = appSettings.SWITCHBOARD_ALLOWED_TENANTS
output SwitchboardStorage__accountName string = appSettings.SwitchboardStorage__accountName
output SwitchboardStorage__clientId string = appSettings.SwitchboardStorage__clientId
output SwitchboardStorage__timeoutSeconds string = appSettings.SwitchboardStorage__timeoutSeconds
output SwitchboardStorage__connectTimeoutSeconds string = appSettings.SwitchboardStorage__connectTimeoutSeconds
output SwitchboardStorage__readTimeoutSeconds string = appSettings.SwitchboardStorage__readTimeoutSeconds
output SWITCHBOARD_SUBSCRIPTIONS string = appSettings.SWITCHBOARD_SUBSCRIPTIONS
output SWITCHBOARD_RESOURCE_GROUPS string = appSettings.SWITCHBOARD_RESOURCE_GROUPS
output SWITCHBOARD_DISCOVERY_TIMEOUT_SECONDS string = appSettings.SWITCHBOARD_DISCOVERY_TIMEOUT_SECONDS
output SWITCHBOARD_APPROVERS_CHANNEL string = appSettings.SWITCHBOARD_APPROVERS_CHANNEL
output SWITCHBOARD_RATE_LIMIT_PER_HOUR string = appSettings.SWITCHBOARD_RATE_LIMIT_PER_HOUR
output APPLICATIONINSIGHTS_CONNECTION_STRING string = appSettings.APPLICATIONINSIGHTS_CONNECTION_STRING
output SWITCHBOARD_LOG_LEVEL string = appSettings.SWITCHBOARD_LOG_LEVEL
output AzureWebJobsStorage__accountName string = appSettings.AzureWebJobsStorage__accountName
output AzureWebJobsStorage__credential string = appSettings.AzureWebJobsStorage__credential
output AzureWebJobsStorage__clientId string = appSettings.AzureWebJobsStorage__clientId
output APPLICATIONINSIGHTS_AUTHENTICATION_STRING string = appSettings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING
output AZURE_CLIENT_ID string = appSettings.AZURE_CLIENT_ID

// What the Teams app package, the smoke check and the operator need.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = group.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output SWITCHBOARD_HOST_NAME string = functionApp.outputs.hostName
output SWITCHBOARD_HEALTH_URL string = 'https://${functionApp.outputs.hostName}/api/health'
output BOT_NAME string = bot.outputs.name
output BOT_APP_ID string = bot.outputs.appId
output BOT_ENDPOINT string = bot.outputs.endpoint
output TEAMS_VALID_DOMAIN string = functionApp.outputs.hostName
output OPERATOR_ROLE_ID string = operatorRole.outputs.id
output FAILED_OPERATIONS_ALERT_ID string = alerts.outputs.failedOperationsAlertId
