// Alerts on Application Insights. The failed-operation alert fires when, within its window, the
// app answered a request with a server error or an action's execution ended other than
// succeeded (audit event SwitchboardAudit, audit_kind execution_ended). See docs/monitoring.md.

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Resource id of the Application Insights component the alerts query.')
param appInsightsId string

@description('Name prefix of the alert rules.')
param namePrefix string

@description('E-mail address told when an alert fires; empty: the alert shows in the portal only.')
param alertEmail string = ''

var failedOperationsQuery = '''
let failedRequests = requests
    | where success == false and toint(resultCode) >= 500
    | project timestamp, what = strcat("HTTP ", resultCode, " ", name), operation_Id;
let failedActions = customEvents
    | where name == "SwitchboardAudit"
    | where tostring(customDimensions.audit_kind) == "execution_ended"
    | where tostring(customDimensions.decision) !in~ ("succeeded")
    | project timestamp, what = strcat(tostring(customDimensions.action), " ", tostring(customDimensions.decision)), operation_Id;
union failedRequests, failedActions
'''

resource team 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: '${namePrefix}-operators'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'switchboard'
    enabled: true
    emailReceivers: [
      {
        name: 'operators'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

resource failedOperations 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = {
  name: '${namePrefix}-failed-operations'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Switchboard: failed operations'
    description: 'A request answered with a server error, or an action ended failed, timed out or unknown. Queries: docs/monitoring.md.'
    severity: 2
    enabled: true
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    scopes: [
      appInsightsId
    ]
    criteria: {
      allOf: [
        {
          query: failedOperationsQuery
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: empty(alertEmail) ? [] : [
        team.id
      ]
    }
  }
}

output failedOperationsAlertId string = failedOperations.id
